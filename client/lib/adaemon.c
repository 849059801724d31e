/* adaemon.c - the cachifyd backend's async face: non-blocking connections
 * to the daemon's Unix socket driven by libevent.
 *
 * Independent requests (GET, SET, DEL, POOL.SIZE) are pipelined on one
 * shared connection, replies matched to requests in order. Every acquire
 * gets a connection of its own (from a small idle pool, else a new one):
 * a server-side WAIT then never holds up other requests, and the grant is
 * bound to that connection's session exactly as the blocking client's are,
 * so releasing, renewing and losing a grant mean the same on both faces;
 * cancelling a wait, or dropping a grant nobody will release, is closing
 * its connection. Commands and replies are dcmd.c's (shared with daemon.c).
 *
 * Reconnecting follows the blocking client: a connection is (re)opened on
 * demand, failed connects are retried o.retries times with doubling
 * pauses, and a request that may have reached the daemon is never resent:
 * when its connection breaks it completes with CACHIFY_EIO.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "abackend.h"
#include "clock.h"
#include "daemon_conn.h"
#include "dcmd.h"

#define AD_READ_CHUNK	   16384 /* bytes per recv() */
#define AD_BACKOFF_FIRST_MS 10	 /* first pause before reconnecting */
#define AD_BACKOFF_MAX_MS  1000	 /* longest pause */
#define AD_BUSY_FIRST_MS   1	 /* first pause when the listen backlog is full */
#define AD_BUSY_MAX_MS	   50
#define AD_ACT_SELECT	   (-1)	 /* the internal SELECT of a new connection */
#define AD_ACT_SETNAME	   (-2)	 /* its CLIENT SETNAME (the reply is only read) */

enum { AC_CONNECTING, AC_READY, AC_BROKEN };

struct dreq {
	struct dreq *next;
	struct aconn *c;
	lc_adone_fn *done;
	void *owner;	      /* NULL: nobody waits for the reply (cancelled) */
	int act;
	bool close_on_cancel; /* acquires and releases: cancel = close */
	bool shared;	      /* LOCK.ACQUIRE ... SHARED */
	double timeout_s;     /* bound on its reply once it is first in line; 0: none */
};

struct aconn {
	struct adctx *x;
	struct aconn *prev, *next; /* every connection of x */
	struct aconn *inext;	   /* the idle list */
	int fd;
	int state;
	bool dedicated;
	bool holds;	/* a grant's session lives on it */
	bool idle;
	int busy;	/* read_cb is on the stack: freeing waits */
	bool dead;	/* freed while busy */
	struct event *rev, *wev, *tmr; /* read (persistent), write/connect, retry */
	struct event *iot;	       /* the first request's reply deadline; made on use */
	unsigned attempts;
	int64_t pause_ms;
	int64_t connect_deadline; /* ms, monotonic */
	struct resp_buf out;
	struct resp_reader *in;	   /* made when bytes arrive; a quiet wait has none */
	struct dreq *head, *tail; /* replies due, in order */
};

struct adctx {
	char path[LC_DCONN_PATH_MAX];
	struct cachify_daemon_options o; /* o.name points at name below */
	char name[CACHIFY_NAME_MAX + 1];  /* sanitised; "" = none */
	struct event_base *base;
	cachify_async_client *ac;
	struct aconn *shared;
	struct aconn *all;
	struct aconn *idle;
	unsigned nidle;
};

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void conn_arm_io(struct aconn *c);
static void conn_write_cb(evutil_socket_t fd, short what, void *arg);
static void conn_timer_cb(evutil_socket_t fd, short what, void *arg);
static void conn_try_connect(struct aconn *c);

/* ---- connections: life --------------------------------------------------------- */

static void idle_remove(struct aconn *c)
{
	struct aconn **pp = &c->x->idle;

	if (!c->idle)
		return;
	while (*pp && *pp != c)
		pp = &(*pp)->inext;
	if (*pp)
		*pp = c->inext;
	c->inext = NULL;
	c->idle = false;
	c->x->nidle--;
}

static void conn_close_fd(struct aconn *c)
{
	if (c->rev)
		event_del(c->rev);
	if (c->wev)
		event_del(c->wev);
	if (c->tmr)
		event_del(c->tmr);
	if (c->iot)
		event_del(c->iot);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = AC_BROKEN;
	c->out.len = 0;
}

/* Frees c and its requests without calling anyone back (closing ends the
 * sessions on it, on the server). Deferred while read_cb runs on it. */
static void conn_free(struct aconn *c)
{
	struct adctx *x = c->x;

	conn_close_fd(c);
	if (c->busy) {
		c->dead = true;
		return;
	}
	idle_remove(c);
	if (x->shared == c)
		x->shared = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else if (x->all == c)
		x->all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	while (c->head) {
		struct dreq *q = c->head;

		c->head = q->next;
		free(q);
	}
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->tmr)
		event_free(c->tmr);
	if (c->iot)
		event_free(c->iot);
	resp_buf_free(&c->out);
	if (c->in)
		resp_reader_free(c->in);
	free(c->in);
	free(c);
}

static struct aconn *conn_new(struct adctx *x, bool dedicated)
{
	struct aconn *c = calloc(1, sizeof *c);

	if (!c) {
		lc_set_error(CACHIFY_ENOMEM, "out of memory");
		return NULL;
	}
	c->x = x;
	c->fd = -1;
	c->dedicated = dedicated;
	c->state = AC_CONNECTING;
	c->pause_ms = AD_BACKOFF_FIRST_MS;
	resp_buf_init(&c->out);
	c->next = x->all;
	if (x->all)
		x->all->prev = c;
	x->all = c;
	c->connect_deadline = x->o.connect_timeout > 0
				      ? lc_clock_ms() + (int64_t)(x->o.connect_timeout * 1000)
				      : INT64_MAX;
	/* Connect from the loop: whatever happens then (a refused connect, a
	 * retry, giving up) is reported through callbacks, never inside the
	 * call that asked for the connection. */
	if (!(c->tmr = evtimer_new(x->base, conn_timer_cb, c))) {
		conn_free(c);
		lc_set_error(CACHIFY_ENOMEM, "out of memory");
		return NULL;
	}
	event_active(c->tmr, EV_TIMEOUT, 0);
	return c;
}

/* Breaks c: every request on it completes with rc (never resent). A
 * dedicated connection holding a grant stays as a broken session (its
 * release then says ELOST); any other goes. */
static void conn_break(struct aconn *c, int rc)
{
	struct adctx *x = c->x;
	struct dreq *q = c->head;
	char msg[256];

	snprintf(msg, sizeof msg, "%s", cachify_last_error());
	conn_close_fd(c);
	idle_remove(c);
	if (x->shared == c)
		x->shared = NULL;
	c->head = c->tail = NULL;
	lc_aclient_enter(x->ac);
	while (q) {
		struct dreq *next = q->next;
		struct lc_result res = { .rc = rc };

		if (q->owner) {
			lc_set_error(rc, "%s", msg);
			q->done(q->owner, &res);
		}
		free(q);
		q = next;
	}
	if (!c->holds)
		conn_free(c);
	lc_aclient_leave(x->ac);
}

/* A dedicated connection with nothing on it: kept for reuse, or closed. */
static void conn_idle(struct aconn *c)
{
	struct adctx *x = c->x;

	if (c->state != AC_READY || c->head || c->holds || c->idle || c->dead)
		return;
	if (x->nidle >= x->o.max_idle) {
		conn_free(c);
		return;
	}
	/* A reused connection starts with empty buffers: what an idle one
	 * costs is its socket and this struct. */
	resp_buf_free(&c->out);
	resp_buf_init(&c->out);
	c->idle = true;
	c->inext = x->idle;
	x->idle = c;
	x->nidle++;
}

/* ---- connections: I/O ------------------------------------------------------------ */

static int want_write(struct aconn *c)
{
	if (!c->wev && !(c->wev = event_new(c->x->base, c->fd, EV_WRITE, conn_write_cb, c)))
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	if (event_get_fd(c->wev) != c->fd)
		event_assign(c->wev, c->x->base, c->fd, EV_WRITE, conn_write_cb, c);
	event_add(c->wev, NULL);
	return 0;
}

/* Writes what it can of c->out; the rest when the socket is writable. */
static void conn_flush(struct aconn *c)
{
	size_t off = 0;

	if (c->state != AC_READY)
		return;
	while (off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + off, c->out.len - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			resp_buf_consume(&c->out, off);
			if (want_write(c) != 0)
				conn_break(c, CACHIFY_ENOMEM);
			return;
		}
		lc_set_error(CACHIFY_EIO, "cachifyd at %s: send: %s", c->x->path, strerror(errno));
		conn_break(c, CACHIFY_EIO);
		return;
	}
	c->out.len = 0;
	if (c->dedicated) { /* a wait may last: keep nothing it does not need */
		resp_buf_free(&c->out);
		resp_buf_init(&c->out);
	}
}

/* Puts the internal request act (SETNAME, SELECT) in front of c's queue,
 * its command (already in front of c->out) answered first. */
static int conn_push_setup(struct aconn *c, int act)
{
	struct dreq *q = calloc(1, sizeof *q);

	if (!q)
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	q->c = c;
	q->act = act;
	/* Bounded like the request it goes ahead of (a WAIT's reply may take
	 * the wait plus the io timeout): a silent daemon fails that one then. */
	q->timeout_s = c->x->o.io_timeout;
	if (c->head && c->head->timeout_s > q->timeout_s)
		q->timeout_s = c->head->timeout_s;
	q->next = c->head;
	c->head = q;
	if (!c->tail)
		c->tail = q;
	return 0;
}

/* Sends CLIENT SETNAME (when named) and SELECT (when a database is
 * configured) ahead of whatever was queued while connecting. */
static int conn_setup(struct aconn *c)
{
	struct adctx *x = c->x;
	struct lc_dcmd name, db;
	struct resp_buf b;
	int rc = 0;

	if (!x->name[0] && x->o.db == 0)
		return 0;
	resp_buf_init(&b);
	lc_dcmd_setname(&name, x->name);
	lc_dcmd_select(&db, x->o.db);
	if ((x->name[0] && resp_add_command(&b, name.argc, name.argv) != 0) ||
	    (x->o.db != 0 && resp_add_command(&b, db.argc, db.argv) != 0) ||
	    resp_buf_append(&b, c->out.data, c->out.len) != 0) {
		resp_buf_free(&b);
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	}
	resp_buf_free(&c->out);
	c->out = b;
	/* Pushed in reverse: SETNAME's reply comes first. */
	if (x->o.db != 0)
		rc = conn_push_setup(c, AD_ACT_SELECT);
	if (rc == 0 && x->name[0])
		rc = conn_push_setup(c, AD_ACT_SETNAME);
	return rc;
}

/* Connected: SETNAME and SELECT first, then whatever was queued
 * meanwhile. */
static void conn_ready(struct aconn *c)
{
	struct adctx *x = c->x;

	c->state = AC_READY;
	if (c->tmr) { /* the connect's timer: not needed again */
		event_free(c->tmr);
		c->tmr = NULL;
	}
	if (!c->rev && !(c->rev = event_new(x->base, c->fd, EV_READ | EV_PERSIST, conn_read_cb, c))) {
		lc_set_error(CACHIFY_ENOMEM, "out of memory");
		conn_break(c, CACHIFY_ENOMEM);
		return;
	}
	event_assign(c->rev, x->base, c->fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	if (conn_setup(c) != 0) {
		conn_break(c, CACHIFY_ENOMEM);
		return;
	}
	if (c->head)
		event_add(c->rev, NULL);
	conn_arm_io(c);
	conn_flush(c);
}

/* One attempt failed with err: pause and retry, or give up. */
static void conn_retry(struct aconn *c, int err)
{
	struct adctx *x = c->x;
	int64_t left = c->connect_deadline - lc_clock_ms(), pause;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (err == EAGAIN) { /* backlog full: the daemon is busy accepting */
		if (left <= 0) {
			lc_set_error(CACHIFY_EIO, "cachifyd at %s: connect timed out", x->path);
			conn_break(c, CACHIFY_EIO);
			return;
		}
		pause = c->pause_ms < AD_BUSY_MAX_MS ? c->pause_ms : AD_BUSY_MAX_MS;
	} else {
		if (c->attempts++ >= x->o.retries) {
			lc_set_error(CACHIFY_EIO, "cachifyd at %s: connect: %s%s", x->path,
				     strerror(err),
				     err == ENOENT || err == ECONNREFUSED ? " (is cachifyd running?)"
									  : "");
			conn_break(c, CACHIFY_EIO);
			return;
		}
		pause = c->pause_ms;
		c->pause_ms = c->pause_ms * 2 > AD_BACKOFF_MAX_MS ? AD_BACKOFF_MAX_MS : c->pause_ms * 2;
	}
	if (!c->tmr && !(c->tmr = evtimer_new(x->base, conn_timer_cb, c))) {
		lc_set_error(CACHIFY_ENOMEM, "out of memory");
		conn_break(c, CACHIFY_ENOMEM);
		return;
	}
	{
		struct timeval tv = { pause / 1000, (pause % 1000) * 1000 };

		evtimer_add(c->tmr, &tv);
	}
}

static void conn_try_connect(struct aconn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memcpy(sa.sun_path, c->x->path, strlen(c->x->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		conn_retry(c, errno);
		return;
	}
	while (connect(c->fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS) { /* not for AF_UNIX today; the shape it takes */
			if (want_write(c) != 0)
				conn_break(c, CACHIFY_ENOMEM);
			return;
		}
		conn_retry(c, errno);
		return;
	}
	conn_ready(c);
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct aconn *c = arg;
	cachify_async_client *ac = c->x->ac;

	lc_aclient_enter(ac);
	conn_try_connect(c);
	lc_aclient_leave(ac);
}

static void conn_io_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct aconn *c = arg;
	cachify_async_client *ac = c->x->ac;

	lc_aclient_enter(ac);
	lc_set_error(CACHIFY_EIO, "cachifyd at %s: no reply within the I/O timeout", c->x->path);
	conn_break(c, CACHIFY_EIO);
	lc_aclient_leave(ac);
}

/* Bounds the wait for the reply now due (the first request's), as the
 * blocking client's io_timeout does; re-armed as replies come in. */
static void conn_arm_io(struct aconn *c)
{
	double t = c->head && c->state == AC_READY ? c->head->timeout_s : 0;
	struct timeval tv;

	if (!(t > 0)) {
		if (c->iot)
			event_del(c->iot);
		return;
	}
	if (!c->iot && !(c->iot = evtimer_new(c->x->base, conn_io_timeout_cb, c)))
		return; /* out of memory: no bound, as with io_timeout 0 */
	tv.tv_sec = (time_t)t;
	tv.tv_usec = (suseconds_t)((t - (double)tv.tv_sec) * 1e6);
	evtimer_add(c->iot, &tv);
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct aconn *c = arg;
	cachify_async_client *ac = c->x->ac;

	lc_aclient_enter(ac);
	if (c->state == AC_CONNECTING) {
		int err = 0;
		socklen_t elen = sizeof err;

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			err = errno;
		if (err)
			conn_retry(c, err);
		else
			conn_ready(c);
	} else {
		conn_flush(c);
	}
	lc_aclient_leave(ac);
}

/* What reply r means for request q on c; calls q's owner back. */
static void dispatch(struct aconn *c, struct dreq *q, struct resp_reply *r)
{
	struct adctx *x = c->x;
	struct lc_result res = { 0 };
	long long n;

	switch (q->act) {
	case AD_ACT_SETNAME: /* a refused name does not fail the connection */
		free(q);
		return;
	case AD_ACT_SELECT:
		if ((res.rc = lc_dcmd_select_reply(r, x->path, x->o.db)) != 0) {
			free(q);
			conn_break(c, res.rc);
			return;
		}
		free(q);
		return;
	case LC_ACT_GET:
		res.rc = lc_dcmd_get_reply(r, x->path, &res.value, &res.len);
		break;
	case LC_ACT_SET:
		res.rc = lc_dcmd_set_reply(r, x->path);
		break;
	case LC_ACT_DEL:
		n = lc_dcmd_del_reply(r, x->path);
		res.rc = n > INT32_MAX ? INT32_MAX : (int)n;
		break;
	case LC_ACT_NPOOL_SIZE:
		res.rc = (int)lc_dcmd_size_reply(r, x->path);
		break;
	case LC_ACT_NLOCK_ACQ:
	case LC_ACT_NPOOL_ACQ:
		res.rc = lc_dcmd_grant_reply(r, x->path,
					     q->act == LC_ACT_NLOCK_ACQ ? "LOCK.ACQUIRE" : "POOL.ACQUIRE",
					     &res.grant);
		if (q->shared)
			res.rc = lc_dcmd_shared_reply(res.rc, x->path);
		if (res.rc == 0) {
			res.grant.session = c;
			c->holds = true;
			if (!q->owner) { /* nobody takes it: it ends with its session */
				lc_grant_clear(&res.grant);
				conn_free(c);
			}
		} else if (res.rc == CACHIFY_EPROTO) {
			conn_free(c);
		} else {
			conn_idle(c);
		}
		break;
	case LC_ACT_NLOCK_REL:
	case LC_ACT_NPOOL_REL:
		res.rc = lc_dcmd_one_reply(r, x->path, "RELEASE");
		/* Released, or not ours any more: nothing lives on it now.
		 * Anything else: close it, so whatever lives there ends. */
		c->holds = false;
		if (res.rc == 0 || res.rc == CACHIFY_ENOTOWNER)
			conn_idle(c);
		else
			conn_free(c);
		break;
	case LC_ACT_NLOCK_RENEW:
		res.rc = lc_dcmd_one_reply(r, x->path, "LOCK.RENEW");
		break;
	default:
		res.rc = CACHIFY_EPROTO;
	}
	if (q->owner)
		q->done(q->owner, &res);
	else
		free(res.value);
	free(q);
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct aconn *c = arg;
	cachify_async_client *ac = c->x->ac;
	char buf[AD_READ_CHUNK];
	int rc = 0;

	lc_aclient_enter(ac);
	c->busy++;
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);

		if (n > 0) {
			if (!c->in && (c->in = malloc(sizeof *c->in)))
				resp_reader_init(c->in);
			if (!c->in || resp_reader_feed(c->in, buf, (size_t)n) != 0) {
				rc = lc_set_error(CACHIFY_ENOMEM, "out of memory reading a reply");
				break;
			}
			if ((size_t)n < sizeof buf)
				break;
			continue;
		}
		if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
			rc = lc_set_error(CACHIFY_EIO, "cachifyd at %s: connection closed by the server",
					  c->x->path);
			break;
		}
		if (errno != EINTR)
			break;
	}
	/* Every whole reply goes to the request it answers, in order. */
	while (!c->dead && c->state == AC_READY) {
		struct resp_reply *r;
		struct dreq *q;
		int got = c->in ? resp_reader_get(c->in, &r) : 0;

		if (got == 0)
			break;
		if (got < 0 || !c->head) {
			if (got > 0)
				resp_reply_free(r);
			rc = lc_set_error(CACHIFY_EPROTO, "cachifyd at %s: %s", c->x->path,
					  got < 0 ? "unreadable reply" : "a reply nobody asked for");
			break;
		}
		q = c->head;
		c->head = q->next;
		if (!c->head)
			c->tail = NULL;
		dispatch(c, q, r);
		resp_reply_free(r);
	}
	if (!c->dead && c->state == AC_READY)
		conn_arm_io(c);
	c->busy--;
	if (c->dead) {
		c->dead = false;
		conn_free(c);
	} else if (rc) {
		conn_break(c, rc);
	} else {
		/* Nothing is due and nothing held: a quiet connection does not
		 * keep the loop running (event_base_dispatch returns when all
		 * is done); its health is checked when it is used again
		 * (conn_usable). A grant's connection stays watched: its
		 * release needs no check, and the loop runs while it is held. */
		if (!c->head && !c->holds && c->state == AC_READY)
			event_del(c->rev);
		/* A dedicated connection keeps no reader between replies: one
		 * waiting for a grant (after its SETNAME's reply) costs its
		 * socket and this struct. */
		if (c->dedicated && c->in && c->in->buf.len == c->in->pos && c->in->depth == 0 &&
		    c->in->bulk_len < 0) {
			resp_reader_free(c->in);
			free(c->in);
			c->in = NULL;
		}
	}
	lc_aclient_leave(ac);
}

/* ---- the backend --------------------------------------------------------------- */

/* Appends a request to c and sends it when c is ready. */
static int conn_send(struct aconn *c, const struct lc_dcmd *cmd, struct dreq *q)
{
	if (resp_add_command(&c->out, cmd->argc, cmd->argv) != 0)
		return lc_set_error(CACHIFY_ENOMEM, "out of memory encoding a command");
	q->c = c;
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	if (c->state != AC_READY)
		return 0; /* conn_ready sends it */
	event_add(c->rev, NULL);
	if (c->head == q)
		conn_arm_io(c);
	/* The shared connection sends from the loop: every request of this
	 * turn goes in one write (the pipeline). A dedicated one carries one
	 * request: it goes now, unless the socket is full or failing, when the
	 * write event takes over (so a failure reports through callbacks,
	 * never inside the call that started the request). */
	if (c->dedicated && c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0)
			resp_buf_consume(&c->out, (size_t)n);
		if (c->out.len == 0) {
			resp_buf_free(&c->out);
			resp_buf_init(&c->out);
			return 0;
		}
	}
	return want_write(c);
}

/* Whether a quiet connection (no read event armed) can still carry a
 * request: open, and no EOF, error or stray bytes from the peer. Never
 * blocks; the blocking client asks the same (lc_dconn_is_usable). */
static bool conn_usable(struct aconn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int n;

	if (c->state == AC_CONNECTING)
		return true;
	if (c->fd < 0 || c->state != AC_READY)
		return false;
	if (c->head || c->holds)
		return true; /* watched: the read event reports trouble */
	while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR)
		;
	return n == 0;
}

/* A connection for an acquire: a sound idle one, or a new one. */
static struct aconn *conn_dedicated(struct adctx *x)
{
	struct aconn *c;

	while ((c = x->idle)) {
		idle_remove(c);
		if (conn_usable(c))
			return c;
		conn_free(c);
	}
	return conn_new(x, true);
}

/* The shared connection, made anew when the old one went bad unseen. */
static struct aconn *conn_shared(struct adctx *x)
{
	if (x->shared && !conn_usable(x->shared))
		conn_free(x->shared);
	return x->shared ? x->shared : (x->shared = conn_new(x, false));
}

static int ad_start(void *ctx, const struct lc_step *st, lc_adone_fn *done, void *owner, void **h,
		    struct lc_result *res)
{
	struct adctx *x = ctx;
	struct lc_dcmd cmd;
	struct aconn *c = NULL;
	struct dreq *q;
	bool q_shared = false;
	int rc = 0;

	switch (st->act) {
	case LC_ACT_GET:
		lc_dcmd_get(&cmd, st->key, st->klen);
		break;
	case LC_ACT_SET:
		rc = lc_dcmd_set(&cmd, st->key, st->klen, st->val, st->vlen, st->ex_s, st->nx);
		break;
	case LC_ACT_DEL:
		lc_dcmd_del1(&cmd, st->key, st->klen);
		break;
	case LC_ACT_NPOOL_SIZE:
		lc_dcmd_pool_size(&cmd, st->key, st->klen);
		break;
	case LC_ACT_NLOCK_ACQ:
		rc = lc_dcmd_lock_acquire(&cmd, st->key, st->klen, st->ttl_ms, &st->wait);
		q_shared = st->wait.shared;
		break;
	case LC_ACT_NPOOL_ACQ:
		rc = lc_dcmd_pool_acquire(&cmd, st->key, st->klen, st->max, st->ttl_ms, &st->wait);
		break;
	case LC_ACT_NLOCK_REL:
	case LC_ACT_NPOOL_REL:
		lc_dcmd_release(&cmd, st->act == LC_ACT_NPOOL_REL, st->key, st->klen, st->grant);
		c = st->grant->session;
		break;
	case LC_ACT_NLOCK_RENEW:
		rc = lc_dcmd_lock_renew(&cmd, st->key, st->klen, st->grant, st->ttl_ms);
		c = st->grant->session;
		break;
	default:
		rc = lc_set_error(CACHIFY_EINVAL, "cachifyd: no such action");
	}
	if (rc)
		return rc;
	if ((st->act == LC_ACT_NLOCK_REL || st->act == LC_ACT_NPOOL_REL ||
	     st->act == LC_ACT_NLOCK_RENEW) &&
	    (!c || !conn_usable(c))) {
		memset(res, 0, sizeof *res);
		res->rc = lc_set_error(CACHIFY_ELOST,
				       "cachifyd at %s: %s: the connection holding it is gone, and "
				       "with it the grant",
				       x->path, cmd.name);
		if (c && st->act != LC_ACT_NLOCK_RENEW) {
			conn_free(c);
			st->grant->session = NULL;
		}
		return 1;
	}
	if (!(q = calloc(1, sizeof *q)))
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	q->done = done;
	q->owner = owner;
	q->act = st->act;
	q->shared = q_shared;
	/* As the blocking client: the io timeout, plus the wait's own time
	 * for an acquire that waits (none for one that waits forever). */
	q->timeout_s = x->o.io_timeout;
	if (cmd.waits)
		q->timeout_s = cmd.wait_s < 0 || x->o.io_timeout <= 0 ? 0 : cmd.wait_s + x->o.io_timeout;
	if (!c) {
		if (st->act == LC_ACT_NLOCK_ACQ || st->act == LC_ACT_NPOOL_ACQ) {
			c = conn_dedicated(x);
			q->close_on_cancel = true;
		} else {
			c = conn_shared(x);
		}
	} else if (st->act != LC_ACT_NLOCK_RENEW) {
		q->close_on_cancel = true;
		st->grant->session = NULL; /* the request owns the session now */
	}
	if (!c) {
		free(q);
		return CACHIFY_ENOMEM;
	}
	if ((rc = conn_send(c, &cmd, q)) != 0) {
		if (!q->c) /* never queued */
			free(q);
		else
			q->owner = NULL; /* queued, but cannot be sent: its reply, if any, is dropped */
		if (c->dedicated)
			conn_free(c);
		return rc;
	}
	*h = q;
	return 0;
}

static bool ad_cancel(void *ctx, void *h)
{
	struct dreq *q = h;

	if (q->close_on_cancel) /* the wait or the grant ends with it */
		conn_free(q->c);
	else
		q->owner = NULL; /* its reply is read and dropped */
	return true;
}

static void ad_drop(void *ctx, struct backend_grant *g)
{
	if (g->session)
		conn_free(g->session);
	g->session = NULL;
}

static void ad_destroy(void *ctx)
{
	struct adctx *x = ctx;

	while (x->all) {
		x->all->busy = 0;
		conn_free(x->all);
	}
	free(x);
}

static const struct abackend_ops adaemon_ops = {
	.name = "cachifyd",
	.native = true,
	.start = ad_start,
	.cancel = ad_cancel,
	.drop = ad_drop,
	.destroy = ad_destroy,
};

cachify_async_client *cachify_async_client_daemon(struct event_base *base, const char *address,
						  const struct cachify_daemon_options *opts)
{
	struct cachify_daemon_options o;
	cachify_async_client *ac;
	struct adctx *x;

	if (!base) {
		lc_set_error(CACHIFY_EINVAL, "async cachifyd client: no event_base");
		return NULL;
	}
	if (opts)
		o = *opts;
	else
		cachify_daemon_options_init(&o);
	if (!address) {
		const char *env = getenv("CACHIFY_URL");

		address = env && *env ? env : "/run/cachifyd/cachifyd.sock";
	}
	if (isnan(o.connect_timeout) || o.connect_timeout < 0 || isnan(o.io_timeout) ||
	    o.io_timeout < 0 || o.db < 0) {
		lc_set_error(CACHIFY_EINVAL, "cachifyd options: timeouts must be >= 0, db >= 0");
		return NULL;
	}
	if (!(x = calloc(1, sizeof *x))) {
		lc_set_error(CACHIFY_ENOMEM, "out of memory");
		return NULL;
	}
	if (lc_daemon_parse_address(address, x->path, &o.db) != 0) {
		free(x);
		return NULL;
	}
	lc_dcmd_name(o.name, x->name);
	o.name = x->name;
	x->o = o;
	x->base = base;
	if (!(ac = lc_aclient_new(base, &adaemon_ops, x)))
		return NULL;
	x->ac = ac;
	return ac;
}
