/* dcmd.c - cachifyd's commands as data (see dcmd.h): request vectors for
 * each backend operation and the meaning of each reply. Shared by the
 * blocking (daemon.c) and the libevent (adaemon.c) faces of the backend.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dcmd.h"

static struct resp_arg arg(const char *p, size_t n)
{
	return (struct resp_arg){p, n};
}

#define ARG_LIT(s) arg((s), sizeof(s) - 1)

static void start(struct lc_dcmd *c, const char *name, const char *key, size_t klen)
{
	c->name = name;
	c->argv[0] = arg(name, strlen(name));
	c->argv[1] = arg(key, klen);
	c->argc = 2;
	c->waits = false;
	c->wait_s = 0;
}

static void add_num(struct lc_dcmd *c, int slot, long long v)
{
	c->argv[c->argc++] = arg(c->num[slot], resp_ll_to_str(c->num[slot], v));
}

void lc_dcmd_get(struct lc_dcmd *c, const char *key, size_t klen)
{
	start(c, "GET", key, klen);
}

int lc_dcmd_set(struct lc_dcmd *c, const char *key, size_t klen, const char *v, size_t vlen,
		int64_t ex_s, bool nx)
{
	if (ex_s < 0)
		return lc_set_error(CACHIFY_EINVAL, "set: negative expiry %lld s", (long long)ex_s);
	start(c, "SET", key, klen);
	c->argv[c->argc++] = arg(v, vlen);
	if (ex_s > 0) {
		c->argv[c->argc++] = ARG_LIT("EX");
		add_num(c, 0, ex_s);
	}
	if (nx)
		c->argv[c->argc++] = ARG_LIT("NX");
	return 0;
}

void lc_dcmd_del1(struct lc_dcmd *c, const char *key, size_t klen)
{
	start(c, "DEL", key, klen);
}

void lc_dcmd_select(struct lc_dcmd *c, int db)
{
	c->name = "SELECT";
	c->argv[0] = ARG_LIT("SELECT");
	c->argc = 1;
	c->waits = false;
	add_num(c, 0, db);
}

void lc_dcmd_setname(struct lc_dcmd *c, const char *name)
{
	c->name = "CLIENT SETNAME";
	c->argv[0] = ARG_LIT("CLIENT");
	c->argv[1] = ARG_LIT("SETNAME");
	c->argv[2] = arg(name, strlen(name));
	c->argc = 3;
	c->waits = false;
	c->wait_s = 0;
}

void lc_dcmd_name(const char *name, char out[CACHIFY_NAME_MAX + 1])
{
	size_t i;

	if (!name)
		name = program_invocation_short_name ? program_invocation_short_name : "";
	for (i = 0; i < CACHIFY_NAME_MAX && name[i]; i++) {
		unsigned char ch = (unsigned char)name[i];

		out[i] = ch >= '!' && ch <= '~' ? (char)ch : '_';
	}
	out[i] = '\0';
}

/* Appends [PX ttl] [WAIT ms]: WAIT 0 is the daemon's "forever"; a timeout
 * of 0 is one try, sent without WAIT. */
static int grant_args(struct lc_dcmd *c, int64_t ttl_ms, const struct backend_wait *w)
{
	if (ttl_ms >= 0) {
		c->argv[c->argc++] = ARG_LIT("PX");
		add_num(c, 1, ttl_ms > LC_DCMD_MS_MAX ? LC_DCMD_MS_MAX : ttl_ms);
	}
	if (w && w->shared)
		c->argv[c->argc++] = ARG_LIT("SHARED");
	if (!w || w->nowait)
		return 0;
	if (isnan(w->timeout))
		return lc_set_error(CACHIFY_EINVAL, "wait timeout is not a number");
	if (w->timeout < 0) {
		c->argv[c->argc++] = ARG_LIT("WAIT");
		c->argv[c->argc++] = ARG_LIT("0");
		c->waits = true;
		c->wait_s = CACHIFY_WAIT_FOREVER;
	} else if (w->timeout > 0) {
		double ms = ceil(w->timeout * 1000.0);

		c->argv[c->argc++] = ARG_LIT("WAIT");
		add_num(c, 2, ms >= (double)LC_DCMD_MS_MAX ? LC_DCMD_MS_MAX : (int64_t)ms);
		c->waits = true;
		c->wait_s = w->timeout;
	}
	return 0;
}

int lc_dcmd_lock_acquire(struct lc_dcmd *c, const char *key, size_t klen, int64_t ttl_ms,
			 const struct backend_wait *w)
{
	start(c, "LOCK.ACQUIRE", key, klen);
	return grant_args(c, ttl_ms, w);
}

int lc_dcmd_pool_acquire(struct lc_dcmd *c, const char *key, size_t klen, long max,
			 int64_t ttl_ms, const struct backend_wait *w)
{
	if (max < 1)
		return lc_set_error(CACHIFY_EINVAL, "pool max size %ld: must be at least 1", max);
	start(c, "POOL.ACQUIRE", key, klen);
	add_num(c, 0, max);
	return grant_args(c, ttl_ms, w);
}

void lc_dcmd_release(struct lc_dcmd *c, bool pool, const char *key, size_t klen,
		     const struct backend_grant *g)
{
	start(c, pool ? "POOL.RELEASE" : "LOCK.RELEASE", key, klen);
	c->argv[c->argc++] = arg(g->id, g->idlen);
}

int lc_dcmd_lock_renew(struct lc_dcmd *c, const char *key, size_t klen,
		       const struct backend_grant *g, int64_t ttl_ms)
{
	/* LOCK.RENEW replaces the TTL with another one; there is no
	 * owner-checked way to take it away. */
	if (ttl_ms <= 0)
		return lc_set_error(CACHIFY_EINVAL,
				    "cachifyd renews locks to a TTL of at least 1 ms (got %lld ms)",
				    (long long)ttl_ms);
	start(c, "LOCK.RENEW", key, klen);
	c->argv[c->argc++] = arg(g->id, g->idlen);
	c->argv[c->argc++] = ARG_LIT("PX");
	add_num(c, 0, ttl_ms > LC_DCMD_MS_MAX ? LC_DCMD_MS_MAX : ttl_ms);
	return 0;
}

void lc_dcmd_pool_size(struct lc_dcmd *c, const char *key, size_t klen)
{
	start(c, "POOL.SIZE", key, klen);
}

/* ---- replies ---------------------------------------------------------------- */

int lc_dcmd_server_error(const struct resp_reply *r)
{
	static const struct {
		const char *word;
		int err;
	} classes[] = {
		{ "LOCKED", CACHIFY_ELOCKED },
		{ "TIMEOUT", CACHIFY_ETIMEOUT },
		{ "NOTOWNER", CACHIFY_ENOTOWNER },
		{ "FULL", CACHIFY_EFULL },
	};
	size_t wlen = strcspn(r->str, " ");

	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (wlen == strlen(classes[i].word) && memcmp(r->str, classes[i].word, wlen) == 0)
			return lc_set_error(classes[i].err, "%s", r->str);
	return lc_set_error(CACHIFY_ESERVER, "%s", r->str);
}

static int unexpected(const char *where, const char *cmd)
{
	return lc_set_error(CACHIFY_EPROTO, "cachifyd at %s: unexpected reply to %s", where, cmd);
}

int lc_dcmd_get_reply(struct resp_reply *r, const char *where, char **v, size_t *len)
{
	switch (r->type) {
	case RESP_BULK:
		*v = r->str; /* taken from the reply */
		*len = r->len;
		r->str = NULL;
		return 1;
	case RESP_NIL:
		return 0;
	case RESP_ERROR:
		return lc_dcmd_server_error(r);
	default:
		return unexpected(where, "GET");
	}
}

int lc_dcmd_set_reply(const struct resp_reply *r, const char *where)
{
	if (r->type == RESP_STRING)
		return 1;
	if (r->type == RESP_NIL)
		return 0;
	if (r->type == RESP_ERROR)
		return lc_dcmd_server_error(r);
	return unexpected(where, "SET");
}

long long lc_dcmd_del_reply(const struct resp_reply *r, const char *where)
{
	if (r->type == RESP_INTEGER && r->integer >= 0)
		return r->integer;
	if (r->type == RESP_ERROR)
		return lc_dcmd_server_error(r);
	return unexpected(where, "DEL");
}

int lc_dcmd_grant_reply(struct resp_reply *r, const char *where, const char *cmd,
			struct backend_grant *g)
{
	if (r->type == RESP_ARRAY && r->elements == 2 && r->element[0]->type == RESP_BULK &&
	    r->element[1]->type == RESP_INTEGER) {
		g->id = r->element[0]->str; /* taken from the reply */
		g->idlen = r->element[0]->len;
		r->element[0]->str = NULL;
		g->fence = (uint64_t)r->element[1]->integer;
		return 0;
	}
	if (r->type == RESP_ERROR)
		return lc_dcmd_server_error(r);
	return unexpected(where, cmd);
}

int lc_dcmd_one_reply(const struct resp_reply *r, const char *where, const char *cmd)
{
	if (r->type == RESP_INTEGER && r->integer == 1)
		return 0;
	if (r->type == RESP_ERROR)
		return lc_dcmd_server_error(r);
	return unexpected(where, cmd);
}

long lc_dcmd_size_reply(const struct resp_reply *r, const char *where)
{
	if (r->type == RESP_INTEGER && r->integer >= 0)
		return r->integer > LONG_MAX ? LONG_MAX : (long)r->integer;
	if (r->type == RESP_ERROR)
		return lc_dcmd_server_error(r);
	return unexpected(where, "POOL.SIZE");
}

int lc_dcmd_shared_reply(int rc, const char *where)
{
	char why[128];

	if (rc != CACHIFY_ESERVER || !strstr(cachify_last_error(), "yntax"))
		return rc;
	snprintf(why, sizeof why, "%s", cachify_last_error());
	return lc_set_error(CACHIFY_ENOTSUP,
			    "cachifyd at %s does not know LOCK.ACQUIRE ... SHARED (a daemon older "
			    "than shared locks?): %s",
			    where, why);
}

int lc_dcmd_select_reply(const struct resp_reply *r, const char *where, int db)
{
	if (r->type == RESP_STRING)
		return 0;
	if (r->type == RESP_ERROR)
		return lc_set_error(CACHIFY_ESERVER, "cachifyd at %s: SELECT %d: %s", where, db,
				    r->str);
	return unexpected(where, "SELECT");
}
