/* daemon.c - the cachifyd backend: address parsing, a small pool of idle
 * connections shared by threads, and the backend ops (GET/SET/DEL, any
 * command, and LOCK.* / POOL.* as native lock and pool operations).
 *
 * Each call takes a connection of its own (an idle one, or a new one), so a
 * thread blocked in a server-side WAIT never holds up another thread. A
 * session-bound grant keeps its connection out of the pool until the API
 * ends the session: the lock lives exactly as long as that connection.
 * Socket I/O and RESP buffers are daemon_conn.c's.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "clock.h"
#include "daemon_conn.h"
#include "dcmd.h"

#define DAEMON_DEFAULT_PATH     "/run/cachifyd/cachifyd.sock"
#define DAEMON_ENV              "CACHIFY_URL"
#define DAEMON_CONNECT_TIMEOUT  5.0             /* s */
#define DAEMON_IO_TIMEOUT       30.0            /* s */
#define DAEMON_MAX_IDLE         4               /* connections */
#define DAEMON_RETRIES          3               /* reconnect attempts per call */
#define DAEMON_IDLE_CEILING     1024            /* highest max_idle accepted */
#define DAEMON_BACKOFF_FIRST_MS 10              /* first pause before reconnecting */
#define DAEMON_BACKOFF_MAX_MS   1000            /* longest pause */
#define DAEMON_ARGS_INLINE      8               /* call() arguments kept on the stack */
#define DAEMON_DEL_BATCH        256             /* names per DEL command */

struct dctx {
	char path[LC_DCONN_PATH_MAX];
	struct cachify_daemon_options o; /* o.name points at name below */
	char name[CACHIFY_NAME_MAX + 1]; /* sanitised; "" = none */
	pthread_mutex_t mu;     /* guards idle/nidle */
	struct lc_dconn **idle; /* o.max_idle slots; most recently used last */
	unsigned nidle;
};

#define ARG_LIT(s) arg((s), sizeof(s) - 1)

static struct resp_arg arg(const char *p, size_t n)
{
	return (struct resp_arg){p, n};
}

void cachify_daemon_options_init(struct cachify_daemon_options *o)
{
	o->connect_timeout = DAEMON_CONNECT_TIMEOUT;
	o->io_timeout = DAEMON_IO_TIMEOUT;
	o->max_idle = DAEMON_MAX_IDLE;
	o->retries = DAEMON_RETRIES;
	o->db = 0;
	o->name = NULL;
}

/* ---- one command, one reply ---------------------------------------------------- */


/* Sends one command on c and reads its reply, the send bounded by the io
 * timeout and the reply by reply_timeout (s; <= 0: none). On failure c is
 * broken. */
static int exchange(struct dctx *x, struct lc_dconn *c, int argc, const struct resp_arg *argv,
                    double reply_timeout, struct resp_reply **out)
{
	int rc;

	*out = NULL;
	if ((rc = lc_dconn_encode(c, argc, argv)) != 0) {
		lc_dconn_break(c);
		return rc;
	}
	if ((rc = lc_dconn_flush(c, lc_dconn_deadline(x->o.io_timeout), NULL)) != 0)
		return rc;
	return lc_dconn_read(c, lc_dconn_deadline(reply_timeout), out);
}

/* Readies a new connection: CLIENT SETNAME (its reply, even an error, is
 * only read) and SELECT of the configured database, sent together. */
static int conn_setup(struct dctx *x, struct lc_dconn *c)
{
	struct lc_dcmd name, db;
	struct resp_reply *r;
	int rc;

	if (x->name[0]) {
		lc_dcmd_setname(&name, x->name);
		if ((rc = lc_dconn_encode(c, name.argc, name.argv)) != 0)
			return rc;
	}
	if (x->o.db != 0) {
		lc_dcmd_select(&db, x->o.db);
		if ((rc = lc_dconn_encode(c, db.argc, db.argv)) != 0)
			return rc;
	}
	if (c->out.len == 0)
		return 0;
	if ((rc = lc_dconn_flush(c, lc_dconn_deadline(x->o.io_timeout), NULL)) != 0)
		return rc;
	if (x->name[0]) {
		if ((rc = lc_dconn_read(c, lc_dconn_deadline(x->o.io_timeout), &r)) != 0)
			return rc;
		resp_reply_free(r);
	}
	if (x->o.db == 0)
		return 0;
	if ((rc = lc_dconn_read(c, lc_dconn_deadline(x->o.io_timeout), &r)) != 0)
		return rc;
	rc = lc_dcmd_select_reply(r, c->path, x->o.db);
	resp_reply_free(r);
	return rc;
}


/* ---- the idle pool ----------------------------------------------------------- */

/* A new connection, ready for commands: connect (and SELECT), retrying
 * failed attempts o.retries times with doubling pauses. Nothing has been
 * asked of the server yet, so retrying is always safe. */
static int conn_open(struct dctx *x, struct lc_dconn **out)
{
	int64_t pause = DAEMON_BACKOFF_FIRST_MS;

	for (unsigned attempt = 0;; attempt++) {
		int rc = lc_dconn_open(x->path, lc_dconn_deadline(x->o.connect_timeout), out);

		if (rc == 0 && (rc = conn_setup(x, *out)) != 0) {
			lc_dconn_close(*out);
			*out = NULL;
		}
		if (rc != CACHIFY_EIO || attempt >= x->o.retries)
			return rc;
		lc_clock_sleep_ms(pause);
		pause = pause * 2 > DAEMON_BACKOFF_MAX_MS ? DAEMON_BACKOFF_MAX_MS : pause * 2;
	}
}

/* A connection for one call: the most recently used idle one that is still
 * sound (stale ones, e.g. after a daemon restart, are dropped), or a new one. */
static int conn_get(struct dctx *x, struct lc_dconn **out)
{
	for (;;) {
		struct lc_dconn *c = NULL;

		pthread_mutex_lock(&x->mu);
		if (x->nidle > 0)
			c = x->idle[--x->nidle];
		pthread_mutex_unlock(&x->mu);
		if (!c)
			return conn_open(x, out);
		if (lc_dconn_is_usable(c)) {
			*out = c;
			return 0;
		}
		lc_dconn_close(c);
	}
}

/* Gives a connection back: pooled if sound and there is room, else closed
 * (closing ends any session-bound grant on it, on the server). */
static void conn_put(struct dctx *x, struct lc_dconn *c)
{
	if (!c)
		return;
	if (c->fd >= 0 && !c->holds) {
		pthread_mutex_lock(&x->mu);
		if (x->nidle < x->o.max_idle) {
			x->idle[x->nidle++] = c;
			c = NULL;
		}
		pthread_mutex_unlock(&x->mu);
	}
	lc_dconn_close(c);
}

/* One command on a pooled connection. reply_timeout: s to wait for the
 * reply after sending (<= 0: no limit). Resends on another connection only
 * when the request cannot have reached the server (the send failed before
 * any byte left: the idle connection was found dead). On success *out is
 * the reply and *conn the connection, for the caller to conn_put or keep. */
static int call_on(struct dctx *x, int argc, const struct resp_arg *argv, double reply_timeout,
                   struct resp_reply **out, struct lc_dconn **conn)
{
	struct lc_dconn *c;
	bool sent;
	int rc;

	*out = NULL;
	*conn = NULL;
	for (unsigned resend = 0;; resend++) {
		if ((rc = conn_get(x, &c)) != 0)
			return rc;
		if ((rc = lc_dconn_encode(c, argc, argv)) != 0) {
			conn_put(x, c);
			return rc;
		}
		if ((rc = lc_dconn_flush(c, lc_dconn_deadline(x->o.io_timeout), &sent)) == 0)
			break;
		lc_dconn_close(c);
		if (sent || resend >= x->o.retries)
			return rc;
	}
	if ((rc = lc_dconn_read(c, lc_dconn_deadline(reply_timeout), out)) != 0) {
		/* The request may have been carried out: never resend it. */
		lc_dconn_close(c);
		return rc;
	}
	*conn = c;
	return 0;
}

/* call_on with the io timeout, giving the connection back at once. */
static int call(struct dctx *x, int argc, const struct resp_arg *argv, struct resp_reply **out)
{
	struct lc_dconn *c;
	int rc = call_on(x, argc, argv, x->o.io_timeout, out, &c);

	conn_put(x, c);
	return rc;
}

/* ---- SyncClient: get / set / delete ---------------------------------------- */

static int d_get(void *ctx, const char *name, size_t nlen, char **value, size_t *len)
{
	struct dctx *x = ctx;
	struct lc_dcmd cmd;
	struct resp_reply *r;
	int rc;

	lc_dcmd_get(&cmd, name, nlen);
	if ((rc = call(x, cmd.argc, cmd.argv, &r)) != 0)
		return rc;
	rc = lc_dcmd_get_reply(r, x->path, value, len);
	resp_reply_free(r);
	return rc;
}

static int d_set(void *ctx, const char *name, size_t nlen, const char *value, size_t len,
                 int64_t ex, bool nx)
{
	struct dctx *x = ctx;
	struct lc_dcmd cmd;
	struct resp_reply *r;
	int rc;

	if ((rc = lc_dcmd_set(&cmd, name, nlen, value, len, ex, nx)) != 0)
		return rc;
	if ((rc = call(x, cmd.argc, cmd.argv, &r)) != 0)
		return rc;
	rc = lc_dcmd_set_reply(r, x->path);
	resp_reply_free(r);
	return rc;
}

static int d_del(void *ctx, size_t n, const char *const *names, const size_t *nlens)
{
	struct dctx *x = ctx;
	struct resp_arg stack[DAEMON_DEL_BATCH + 1];
	long long total = 0;

	/* In batches: the daemon's proto-max-args (1024 by default) bounds
	 * one command. */
	for (size_t done = 0; done < n;) {
		size_t batch = n - done > DAEMON_DEL_BATCH ? DAEMON_DEL_BATCH : n - done;
		struct resp_reply *r;
		long long got;
		int rc;

		stack[0] = ARG_LIT("DEL");
		for (size_t i = 0; i < batch; i++)
			stack[i + 1] = arg(names[done + i], nlens[done + i]);
		if ((rc = call(x, (int)batch + 1, stack, &r)) != 0)
			return rc;
		got = lc_dcmd_del_reply(r, x->path);
		resp_reply_free(r);
		if (got < 0)
			return (int)got;
		total += got;
		done += batch;
	}
	return total > INT_MAX ? INT_MAX : (int)total;
}

static void d_destroy(void *ctx)
{
	struct dctx *x = ctx;

	if (!x)
		return;
	for (unsigned i = 0; i < x->nidle; i++)
		lc_dconn_close(x->idle[i]);
	pthread_mutex_destroy(&x->mu);
	free(x->idle);
	free(x);
}


/* The reply timeout of an acquire (s): the wait plus the io timeout, or
 * no limit (0) for a wait without one. */
static double acquire_timeout(const struct dctx *x, const struct lc_dcmd *cmd)
{
	if (!cmd->waits)
		return x->o.io_timeout;
	if (cmd->wait_s < 0 || x->o.io_timeout <= 0)
		return 0;
	return cmd->wait_s + x->o.io_timeout;
}

/* LOCK.ACQUIRE / POOL.ACQUIRE: on a grant, the connection becomes the
 * grant's session and stays out of the pool. */
static int acquire(struct dctx *x, const struct lc_dcmd *cmd, struct backend_grant *g)
{
	struct resp_reply *r;
	struct lc_dconn *c;
	int rc;

	memset(g, 0, sizeof *g);
	/* A request that may have reached the server is never resent: a lost
	 * reply to a grant would leave a lock nobody knows the token of (until
	 * the connection closes, which call_on does on any failure). */
	if ((rc = call_on(x, cmd->argc, cmd->argv, acquire_timeout(x, cmd), &r, &c)) != 0)
		return rc;
	rc = lc_dcmd_grant_reply(r, x->path, cmd->name, g);
	if (rc == 0) {
		g->session = c;
		c->holds = true;
		c = NULL;
	} else if (rc == CACHIFY_EPROTO) {
		lc_dconn_break(c);
	}
	resp_reply_free(r);
	conn_put(x, c);
	return rc;
}

static int d_lock_acquire(void *ctx, const char *key, size_t klen, int64_t ttl_ms,
                          const struct backend_wait *w, struct backend_grant *g)
{
	struct lc_dcmd cmd;
	int rc;

	if ((rc = lc_dcmd_lock_acquire(&cmd, key, klen, ttl_ms, w)) != 0)
		return rc;
	rc = acquire(ctx, &cmd, g);
	return w->shared ? lc_dcmd_shared_reply(rc, ((struct dctx *)ctx)->path) : rc;
}

static int d_pool_acquire(void *ctx, const char *key, size_t klen, long max, int64_t ttl_ms,
                          const struct backend_wait *w, struct backend_grant *g)
{
	struct lc_dcmd cmd;
	int rc;

	if ((rc = lc_dcmd_pool_acquire(&cmd, key, klen, max, ttl_ms, w)) != 0)
		return rc;
	return acquire(ctx, &cmd, g);
}

/* A command about a grant (release, renew), on its session connection.
 * Any failure of that connection means the grant is gone: the server ends
 * session-bound grants with their connection. */
static int on_session(struct dctx *x, const struct backend_grant *g, const struct lc_dcmd *cmd,
                      struct resp_reply **out)
{
	struct lc_dconn *c = g->session;
	char why[256];
	int rc;

	if (!c) /* not session-bound: any connection will do */
		return call(x, cmd->argc, cmd->argv, out);
	if (!lc_dconn_is_usable(c))
		return lc_set_error(
		    CACHIFY_ELOST,
		    "cachifyd at %s: %s: the connection holding it is gone, and with "
		    "it the grant",
		    c->path, cmd->name);
	if ((rc = exchange(x, c, cmd->argc, cmd->argv, x->o.io_timeout, out)) == 0)
		return 0;
	if (rc == CACHIFY_ENOMEM)
		return rc;
	snprintf(why, sizeof why, "%s", cachify_last_error());
	return lc_set_error(CACHIFY_ELOST, "%s: %s: the grant ended with its connection", why,
	                    cmd->name);
}

static int release(struct dctx *x, bool pool, const char *key, size_t klen,
                   const struct backend_grant *g)
{
	struct lc_dconn *c = g->session;
	struct lc_dcmd cmd;
	struct resp_reply *r;
	int rc;

	lc_dcmd_release(&cmd, pool, key, klen, g);
	if ((rc = on_session(x, g, &cmd, &r)) != 0)
		return rc;
	rc = lc_dcmd_one_reply(r, x->path, cmd.name);
	resp_reply_free(r);
	/* Released, or not ours (any more): nothing is held on it now. */
	if (c && (rc == 0 || rc == CACHIFY_ENOTOWNER))
		c->holds = false;
	return rc;
}

static int d_lock_release(void *ctx, const char *key, size_t klen, const struct backend_grant *g)
{
	return release(ctx, false, key, klen, g);
}

static int d_pool_release(void *ctx, const char *key, size_t klen, const struct backend_grant *g)
{
	return release(ctx, true, key, klen, g);
}

static int d_lock_renew(void *ctx, const char *key, size_t klen, const struct backend_grant *g,
                        int64_t ttl_ms)
{
	struct dctx *x = ctx;
	struct lc_dcmd cmd;
	struct resp_reply *r;
	int rc;

	if ((rc = lc_dcmd_lock_renew(&cmd, key, klen, g, ttl_ms)) != 0)
		return rc;
	if ((rc = on_session(x, g, &cmd, &r)) != 0)
		return rc;
	rc = lc_dcmd_one_reply(r, x->path, cmd.name);
	resp_reply_free(r);
	return rc;
}

static void d_session_end(void *ctx, void *session)
{
	conn_put(ctx, session);
}

static long d_pool_size(void *ctx, const char *key, size_t klen)
{
	struct dctx *x = ctx;
	struct lc_dcmd cmd;
	struct resp_reply *r;
	long rc;

	lc_dcmd_pool_size(&cmd, key, klen);
	if ((rc = call(x, cmd.argc, cmd.argv, &r)) != 0)
		return rc;
	rc = lc_dcmd_size_reply(r, x->path);
	resp_reply_free(r);
	return rc;
}


/* ---- any command ------------------------------------------------------------- */

static bool arg_is(const struct resp_arg *a, const char *word)
{
	return a->len == strlen(word) && strncasecmp(a->ptr, word, a->len) == 0;
}

/* Commands after which a connection is not like the others any more (another
 * database, a name, a grant, closed): it is closed rather than pooled. A
 * session-bound grant made through a plain call ends with the call. */
static bool leaves_state(int argc, const struct resp_arg *argv)
{
	static const char *const words[] = {"SELECT", "QUIT",         "RESET",        "HELLO",
	                                    "AUTH",   "LOCK.ACQUIRE", "POOL.ACQUIRE", "MULTI",
	                                    "WATCH",  "SUBSCRIBE",    "PSUBSCRIBE",   "MONITOR"};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (arg_is(&argv[0], words[i]))
			return true;
	return argc >= 2 && arg_is(&argv[0], "CLIENT") && arg_is(&argv[1], "SETNAME");
}

/* The reply timeout of a call (s): a LOCK/POOL.ACQUIRE with WAIT ms may
 * take that long plus the io timeout (WAIT 0: forever). */
static double call_timeout(const struct dctx *x, int argc, const struct resp_arg *argv)
{
	if (!arg_is(&argv[0], "LOCK.ACQUIRE") && !arg_is(&argv[0], "POOL.ACQUIRE"))
		return x->o.io_timeout;
	for (int i = 2; i + 1 < argc; i++) {
		long long ms;

		if (arg_is(&argv[i], "WAIT") &&
		    resp_parse_ll(argv[i + 1].ptr, argv[i + 1].len, &ms) == 0 && ms >= 0)
			return ms == 0 || x->o.io_timeout <= 0 ? 0 : ms / 1000.0 + x->o.io_timeout;
	}
	return x->o.io_timeout;
}

static void reply_free(cachify_reply *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->elements; i++)
		reply_free(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

/* The public form of a reply tree; strings are taken from r. NULL when out
 * of memory. */
static cachify_reply *reply_convert(struct resp_reply *r)
{
	cachify_reply *o = calloc(1, sizeof *o);

	if (!o)
		return NULL;
	switch (r->type) {
	case RESP_STRING:
		o->type = CACHIFY_REPLY_STRING;
		break;
	case RESP_ERROR:
		o->type = CACHIFY_REPLY_ERROR;
		break;
	case RESP_INTEGER:
		o->type = CACHIFY_REPLY_INTEGER;
		break;
	case RESP_BULK:
		o->type = CACHIFY_REPLY_BULK;
		break;
	case RESP_NIL:
		o->type = CACHIFY_REPLY_NIL;
		break;
	case RESP_ARRAY:
		o->type = CACHIFY_REPLY_ARRAY;
		break;
	}
	o->integer = r->integer;
	o->str = r->str;
	o->len = r->len;
	r->str = NULL;
	if (r->type == RESP_ARRAY && r->elements > 0) {
		if (!(o->element = calloc(r->elements, sizeof *o->element))) {
			reply_free(o);
			return NULL;
		}
		for (size_t i = 0; i < r->elements; i++) {
			o->elements = i + 1;
			if (!(o->element[i] = reply_convert(r->element[i]))) {
				reply_free(o);
				return NULL;
			}
		}
	}
	return o;
}

static int d_call(void *ctx, int argc, const char *const *argv, const size_t *argvlen,
                  cachify_reply **out)
{
	struct dctx *x = ctx;
	struct resp_arg stack[DAEMON_ARGS_INLINE], *args = stack;
	struct resp_reply *r = NULL;
	struct lc_dconn *c;
	int rc;

	*out = NULL;
	if (argc <= 0 || !argv)
		return lc_set_error(CACHIFY_EINVAL, "call: no command");
	if (argc > RESP_ARGS_MAX_CEILING)
		return lc_set_error(CACHIFY_EINVAL, "call: %d arguments is too many", argc);
	if (argc > DAEMON_ARGS_INLINE && !(args = malloc((size_t)argc * sizeof *args)))
		return lc_set_error(CACHIFY_ENOMEM, "out of memory");
	for (int i = 0; i < argc; i++)
		args[i] = arg(argv[i], argvlen ? argvlen[i] : strlen(argv[i]));
	rc = call_on(x, argc, args, call_timeout(x, argc, args), &r, &c);
	if (rc == 0 && leaves_state(argc, args))
		lc_dconn_break(c);
	if (args != stack)
		free(args);
	conn_put(x, c);
	if (rc != 0)
		return rc;
	*out = reply_convert(r);
	resp_reply_free(r);
	return *out ? 0 : lc_set_error(CACHIFY_ENOMEM, "out of memory");
}

/* ---- the client ---------------------------------------------------------------- */

static const struct backend_ops daemon_ops = {
    .name = "cachifyd",
    .get = d_get,
    .set = d_set,
    .del = d_del,
    .destroy = d_destroy,
    .lock_acquire = d_lock_acquire,
    .lock_release = d_lock_release,
    .lock_renew = d_lock_renew,
    .session_end = d_session_end,
    .pool_acquire = d_pool_acquire,
    .pool_release = d_pool_release,
    .pool_size = d_pool_size,
    .call = d_call,
};

/* Splits address into the socket path and an optional ?db=N (which beats
 * o->db). 0, or CACHIFY_EINVAL with the reason recorded. */
int lc_daemon_parse_address(const char *address, char *path, int *db)
{
	const char *p = address, *q;
	size_t plen;

	if (strncmp(p, "unix://", 7) == 0)
		p += 7;
	else if (strncmp(p, "unix:", 5) == 0)
		p += 5;
	else if (strstr(p, "://"))
		return lc_set_error(CACHIFY_EINVAL,
		                    "cachifyd address '%s': only Unix sockets (PATH, unix:PATH, "
		                    "unix://PATH) are supported",
		                    address);
	q = strchr(p, '?');
	plen = q ? (size_t)(q - p) : strlen(p);
	if (q) {
		long long v;

		if (strncmp(q + 1, "db=", 3) != 0 || resp_parse_ll(q + 4, strlen(q + 4), &v) != 0 ||
		    v < 0 || v > INT_MAX)
			return lc_set_error(CACHIFY_EINVAL,
			                    "cachifyd address '%s': the only parameter is ?db=N "
			                    "(N a database number)",
			                    address);
		*db = (int)v;
	}
	if (plen == 0)
		return lc_set_error(CACHIFY_EINVAL, "cachifyd address '%s': no socket path",
		                    address);
	if (plen >= LC_DCONN_PATH_MAX)
		return lc_set_error(
		    CACHIFY_EINVAL,
		    "cachifyd address: socket path too long (%zu bytes, at most %d)", plen,
		    LC_DCONN_PATH_MAX - 1);
	memcpy(path, p, plen);
	path[plen] = '\0';
	return 0;
}

cachify_client *cachify_client_daemon(const char *address,
                                      const struct cachify_daemon_options *opts)
{
	struct cachify_daemon_options o;
	struct dctx *x;

	if (opts)
		o = *opts;
	else
		cachify_daemon_options_init(&o);
	if (!address) {
		const char *env = getenv(DAEMON_ENV);

		address = env && *env ? env : DAEMON_DEFAULT_PATH;
	}
	if (isnan(o.connect_timeout) || o.connect_timeout < 0 || isnan(o.io_timeout) ||
	    o.io_timeout < 0 || o.db < 0 || o.max_idle > DAEMON_IDLE_CEILING) {
		lc_set_error(CACHIFY_EINVAL,
		             "cachifyd options: timeouts must be >= 0, db >= 0, max_idle <= %d",
		             DAEMON_IDLE_CEILING);
		return NULL;
	}
	if (!(x = calloc(1, sizeof *x)) ||
	    (o.max_idle > 0 && !(x->idle = calloc(o.max_idle, sizeof *x->idle)))) {
		free(x);
		lc_set_error(CACHIFY_ENOMEM, "out of memory");
		return NULL;
	}
	if (lc_daemon_parse_address(address, x->path, &o.db) != 0) {
		free(x->idle);
		free(x);
		return NULL;
	}
	lc_dcmd_name(o.name, x->name);
	o.name = x->name;
	x->o = o;
	pthread_mutex_init(&x->mu, NULL);
	return lc_client_new(&daemon_ops, x);
}
