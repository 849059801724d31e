/* conn.c - client connections: read, frame, dispatch, write, close.
 *
 * A connection is only ever freed from one of its own event callbacks or
 * from the server's cron/shutdown paths, never from inside a command, so a
 * handler that touches another client (a lock grant, a write error) can
 * only mark it CLOSING and wake it; its own callback then frees it.
 */
#include "conn.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "block.h"
#include "clock.h"
#include "dispatch.h"
#include "lock.h"
#include "log.h"
#include "multi.h"
#include "monitor.h"
#include "pause.h"
#include "pool.h"
#include "pubsub.h"
#include "reply.h"
#include "server.h"
#include "waitq.h"

#define CONN_COMPACT_MIN (64 * 1024) /* bytes consumed before the input moves */
#define CONN_OUT_KEEP	 (64 * 1024) /* output buffer kept allocated when idle */

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void conn_write_cb(evutil_socket_t fd, short what, void *arg);

/* Serving others while a script is busy (conn_serve_busy): lock and pool
 * grants wait for the script's end, or the script would see keys change. */
static bool conn_serving_busy;

static void conn_ahead_free(struct conn *c)
{
	if (!c->ahead)
		return;
	resp_req_free(c->ahead);
	free(c->ahead);
	c->ahead = NULL;
	c->ahead_len = 0;
}

struct conn *conn_new(int fd, const struct ucred *cred)
{
	struct conn *c = calloc(1, sizeof *c);

	if (!c) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->id = ++server.next_client_id;
	c->pid = cred->pid;
	c->uid = cred->uid;
	c->gid = cred->gid;
	c->created_ms = c->last_ms = clock_ms();
	c->last_cmd = "NULL";
	resp_req_init(&c->req, &server.lim);
	resp_buf_init(&c->in);
	resp_buf_init(&c->out);
	c->ev_read = event_new(server.base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	c->ev_write = event_new(server.base, fd, EV_WRITE | EV_PERSIST, conn_write_cb, c);
	if (!c->ev_read || !c->ev_write || event_add(c->ev_read, NULL) != 0) {
		if (c->ev_read)
			event_free(c->ev_read);
		if (c->ev_write)
			event_free(c->ev_write);
		close(fd);
		free(c);
		return NULL;
	}
	LIST_INIT(&c->locks);
	LIST_INIT(&c->slots);
	LIST_INIT(&c->watches);
	LIST_INSERT_HEAD(&server.clients, c, link);
	server.nclients++;
	server.stats.connections++;
	log_debug("client %llu connected (pid %d uid %d)", (unsigned long long)c->id, (int)c->pid,
		  (int)c->uid);
	return c;
}

void conn_free(struct conn *c)
{
	log_debug("client %llu closed", (unsigned long long)c->id);
	/* Give back what it waits for and holds; the next waiters are
	 * granted in this same loop turn. */
	c->flags |= CONN_CLOSING;
	waitq_conn_gone(c);
	block_conn_gone(c);
	pause_conn_gone(c);
	monitor_remove(c);
	pubsub_conn_gone(c);
	lock_conn_gone(c);
	pool_conn_gone(c);
	multi_reset(c);
	waitq_run();
	LIST_REMOVE(c, link);
	server.nclients--;
	event_free(c->ev_read);
	event_free(c->ev_write);
	close(c->fd);
	resp_req_free(&c->req);
	conn_ahead_free(c);
	resp_buf_free(&c->in);
	resp_buf_free(&c->out);
	free(c->name);
	free(c->lib_name);
	free(c->lib_ver);
	server_conn_gone(c);
	free(c);
}

/* Marks c for closing and wakes its read callback, which frees it. */
static void conn_doom(struct conn *c)
{
	c->flags |= CONN_CLOSING;
	event_active(c->ev_read, EV_READ, 0);
}

void conn_close_after_reply(struct conn *c)
{
	c->flags |= CONN_CLOSE_AFTER_REPLY;
	if (conn_pending_out(c) == 0)
		conn_doom(c);
}

void conn_flush(struct conn *c)
{
	while (conn_pending_out(c) > 0) {
		ssize_t n = write(c->fd, c->out.data + c->out_pos, conn_pending_out(c));

		if (n > 0) {
			c->out_pos += (size_t)n;
			server.stats.net_out += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!(c->flags & CONN_WRITE_ARMED)) {
				event_add(c->ev_write, NULL);
				c->flags |= CONN_WRITE_ARMED;
			}
			return;
		}
		log_verbose("client %llu: write: %s", (unsigned long long)c->id, strerror(errno));
		conn_doom(c);
		return;
	}
	/* All written: reset, and give back a buffer a big reply inflated. */
	c->out.len = c->out_pos = 0;
	if (c->out.cap > CONN_OUT_KEEP)
		resp_buf_free(&c->out);
	if (c->flags & CONN_WRITE_ARMED) {
		event_del(c->ev_write);
		c->flags &= ~CONN_WRITE_ARMED;
	}
	if (c->flags & CONN_CLOSE_AFTER_REPLY)
		conn_doom(c);
}

/* An HTTP request or header sent to us: a browser or a cross-protocol
 * attack (a web page posting to a local socket through a proxy). */
static bool conn_is_http(const struct conn *c)
{
	const struct resp_arg *v = c->req.argv;
	int argc = c->req.argc;

	if ((v[0].len == 4 && strncasecmp(v[0].ptr, "post", 4) == 0) ||
	    (v[0].len == 5 && strncasecmp(v[0].ptr, "host:", 5) == 0))
		return true;
	return c->req.is_inline && !(c->flags & CONN_SAW_COMMAND) && argc >= 3 &&
	       v[argc - 1].len >= 5 && memcmp(v[argc - 1].ptr, "HTTP/", 5) == 0;
}

/* While c is blocked its queued input does not run, but bytes that stop
 * mid-request must still count against client-request-timeout, or a
 * waiter could park a half-sent request of any size for as long as it
 * waits. So frame (never run) what follows the blocking command, resuming
 * where the last scan stopped, and time the unfinished tail. */
static void conn_scan_ahead(struct conn *c)
{
	size_t left;

	if (!c->ahead) {
		if (!(c->ahead = malloc(sizeof *c->ahead))) {
			/* Cannot tell: time it as unfinished, the safe side. */
			if (c->partial_since_ms == 0)
				c->partial_since_ms = clock_ms();
			return;
		}
		resp_req_init(c->ahead, &server.lim);
	}
	while ((left = c->in.len - c->in_pos - c->ahead_len) > 0) {
		size_t used = 0;
		int rc = resp_req_parse(c->ahead, c->in.data + c->in_pos + c->ahead_len, left, &used);

		if (rc <= 0) {
			/* Incomplete, or an error the real parse will reply once
			 * the client runs again: either way not a finished request. */
			if (rc < 0)
				resp_req_reset(c->ahead);
			break;
		}
		c->ahead_len += used;
	}
	if (c->in_pos + c->ahead_len == c->in.len)
		c->partial_since_ms = 0;
	else if (c->partial_since_ms == 0)
		c->partial_since_ms = clock_ms();
}

/* Runs the complete commands queued in c->in, up to CONN_CMDS_PER_TURN. */
static void conn_process(struct conn *c)
{
	int ran = 0;

	if (!(c->flags & CONN_BLOCKED))
		conn_ahead_free(c); /* the real parse takes over from here */

	while (!(c->flags & (CONN_BLOCKED | CONN_CLOSE_AFTER_REPLY | CONN_CLOSING)) &&
	       c->in_pos < c->in.len) {
		size_t used = 0;
		int rc;

		if (ran == CONN_CMDS_PER_TURN) {
			/* Let other clients run; we continue on the next turn. */
			client_wake(c);
			break;
		}
		rc = resp_req_parse(&c->req, c->in.data + c->in_pos, c->in.len - c->in_pos, &used);
		if (rc == 0)
			break;
		if (rc < 0) {
			server.stats.proto_errors++;
			log_verbose("client %llu: protocol error: %s", (unsigned long long)c->id,
				    c->req.err);
			reply_errorf(c, "ERR Protocol error: %s", c->req.err);
			conn_close_after_reply(c);
			break;
		}
		if (c->req.argc > 0 && pause_holds(c, c->req.argc, c->req.argv))
			break; /* in_pos stays: parsed again when the pause ends */
		c->in_pos += used;
		c->partial_since_ms = 0;
		if (c->req.argc == 0)
			continue;
		if (conn_is_http(c)) {
			log_warning("client %llu (pid %d): HTTP request on the cachifyd socket; "
				    "closing (possible cross-protocol attack)",
				    (unsigned long long)c->id, (int)c->pid);
			c->flags |= CONN_CLOSING;
			break;
		}
		c->flags |= CONN_SAW_COMMAND;
		dispatch(c, c->req.argc, c->req.argv);
		if (!conn_serving_busy) {
			waitq_run();
			block_run();
		}
		ran++;
	}

	/* Keep the input compact: drop consumed bytes when it pays. */
	if (c->in_pos == c->in.len) {
		c->in.len = c->in_pos = 0;
		c->partial_since_ms = 0;
		if (c->in.cap > 4 * CONN_READ_CHUNK)
			resp_buf_free(&c->in);
	} else {
		if (c->flags & CONN_BLOCKED)
			conn_scan_ahead(c);
		else if (c->partial_since_ms == 0)
			c->partial_since_ms = clock_ms();
		if (c->in_pos >= CONN_COMPACT_MIN && c->in_pos * 2 >= c->in.len) {
			resp_buf_consume(&c->in, c->in_pos);
			c->in_pos = 0;
		}
	}
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	ssize_t n;

	(void)what;
	if (c->flags & CONN_CLOSING) {
		conn_free(c);
		return;
	}
	/* Back after a yield or a wait: run what is queued before reading
	 * more, or a fast pipeliner would pile up input until the query
	 * buffer limit. */
	if (c->flags & CONN_RESUME) {
		c->flags &= ~CONN_RESUME;
		goto process;
	}
	if (resp_buf_reserve(&c->in, CONN_READ_CHUNK) != 0) {
		log_warning("client %llu: out of memory for input; closing",
			    (unsigned long long)c->id);
		conn_free(c);
		return;
	}
	n = read(fd, c->in.data + c->in.len, CONN_READ_CHUNK);
	if (n == 0) {
		conn_free(c);
		return;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		log_verbose("client %llu: read: %s", (unsigned long long)c->id, strerror(errno));
		conn_free(c);
		return;
	}
	if (n > 0) {
		c->in.len += (size_t)n;
		c->last_ms = clock_ms();
		server.stats.net_in += (uint64_t)n;
		if (c->in.len - c->in_pos > server.cfg.client_query_buffer_limit) {
			log_notice("client %llu: query buffer over %zu bytes; closing",
				   (unsigned long long)c->id, server.cfg.client_query_buffer_limit);
			conn_free(c);
			return;
		}
	}
process:
	conn_process(c);
	if (c->flags & CONN_CLOSING) {
		conn_free(c);
		return;
	}
	conn_flush(c);
}

void conn_serve_busy(struct conn *c)
{
	ssize_t n;

	if (resp_buf_reserve(&c->in, CONN_READ_CHUNK) != 0)
		return;
	n = read(c->fd, c->in.data + c->in.len, CONN_READ_CHUNK);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		conn_doom(c);
		return;
	}
	if (n > 0) {
		c->in.len += (size_t)n;
		c->last_ms = clock_ms();
		server.stats.net_in += (uint64_t)n;
	}
	conn_serving_busy = true;
	conn_process(c);
	conn_serving_busy = false;
	if (!(c->flags & CONN_CLOSING))
		conn_flush(c);
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	conn_flush(c);
}
