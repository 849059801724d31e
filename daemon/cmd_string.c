/* cmd_string.c - the string family: GET, SET, MGET, MSET and the INCR
 * family, with Redis 7's syntax, replies and errors. A lock key reads as
 * its token (shown to its holder only); a pool key is WRONGTYPE.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "clock.h"
#include "client.h"
#include "cmd.h"
#include "cmd_args.h"
#include "lock.h"
#include "reply.h"
#include "server.h"
#include "store.h"

void cmd_get(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = store_find(server.store, c->db, argv[1].ptr, argv[1].len);

	(void)argc;
	if (!e)
		reply_nil(c);
	else if (e->type == STORE_LOCK)
		acl_reply_token(c, lock_of(e)->h.uid, lock_of(e)->token, lock_of(e)->toklen);
	else if (e->type != STORE_STRING)
		reply_error(c, ERR_WRONGTYPE);
	else
		reply_bulk(c, sentry_value(e), e->vlen);
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL] */
void cmd_set(struct conn *c, int argc, struct resp_arg *argv)
{
	bool nx = false, xx = false, get = false, keepttl = false;
	const struct resp_arg *when = NULL;
	int unit = 0; /* 'e' EX, 'p' PX, 'E' EXAT, 'P' PXAT */
	int64_t expire = STORE_NO_EXPIRE;
	struct sentry *old;
	size_t mark;

	for (int i = 3; i < argc; i++) {
		const struct resp_arg *a = &argv[i];
		int u = 0;

		if (arg_is(a, "nx") && !xx)
			nx = true;
		else if (arg_is(a, "xx") && !nx)
			xx = true;
		else if (arg_is(a, "get"))
			get = true;
		else if (arg_is(a, "keepttl") && !unit)
			keepttl = true;
		else if (arg_is(a, "ex"))
			u = 'e';
		else if (arg_is(a, "px"))
			u = 'p';
		else if (arg_is(a, "exat"))
			u = 'E';
		else if (arg_is(a, "pxat"))
			u = 'P';
		else {
			reply_error(c, ERR_SYNTAX);
			return;
		}
		if (u) {
			if (unit || keepttl || i + 1 >= argc) {
				reply_error(c, ERR_SYNTAX);
				return;
			}
			unit = u;
			when = &argv[++i];
		}
	}
	if (when && arg_expire_set(c, when, unit == 'e' || unit == 'E', unit == 'E' || unit == 'P',
				   "set", &expire) != 0)
		return;

	old = store_find_write(server.store, c->db, argv[1].ptr, argv[1].len);
	if (get && old && old->type != STORE_STRING) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	/* Replacing another user's lock or pool would force-release it. */
	if (old && !nx && acl_check_force(c, old) != 0)
		return;
	/* SET ... GET answers with the old value; write it before the put
	 * frees it, and take it back if the put fails. */
	mark = c->out.len;
	if (get) {
		if (old)
			reply_bulk(c, sentry_value(old), old->vlen);
		else
			reply_nil(c);
	}
	if ((nx && old) || (xx && !old)) {
		if (!get)
			reply_nil(c);
		return;
	}
	if (keepttl && old)
		expire = sentry_expire(old);
	if (expire != STORE_NO_EXPIRE && expire <= clock_ms()) {
		/* An absolute time already past: the key is set and gone. */
		store_delete(server.store, c->db, argv[1].ptr, argv[1].len, STORE_DEL_EXPIRED);
	} else if (!store_put(server.store, c->db, argv[1].ptr, argv[1].len, argv[2].ptr,
			      argv[2].len, STORE_STRING, expire)) {
		c->out.len = mark;
		reply_error(c, ERR_OOM);
		return;
	}
	if (!get)
		reply_ok(c);
}

void cmd_mget(struct conn *c, int argc, struct resp_arg *argv)
{
	reply_array(c, (size_t)argc - 1);
	for (int i = 1; i < argc; i++) {
		struct sentry *e = store_find(server.store, c->db, argv[i].ptr, argv[i].len);

		if (e && e->type == STORE_STRING)
			reply_bulk(c, sentry_value(e), e->vlen);
		else if (e && e->type == STORE_LOCK)
			acl_reply_token(c, lock_of(e)->h.uid, lock_of(e)->token,
					lock_of(e)->toklen);
		else
			reply_nil(c);
	}
}

void cmd_mset(struct conn *c, int argc, struct resp_arg *argv)
{
	if (argc % 2 == 0) {
		reply_error(c, "ERR wrong number of arguments for 'mset' command");
		return;
	}
	if (keys_check_force(c, argc, argv, 2) != 0)
		return;
	for (int i = 1; i < argc; i += 2) {
		if (!store_put(server.store, c->db, argv[i].ptr, argv[i].len, argv[i + 1].ptr,
			       argv[i + 1].len, STORE_STRING, STORE_NO_EXPIRE)) {
			reply_error(c, ERR_OOM);
			return;
		}
	}
	reply_ok(c);
}

static void incr_generic(struct conn *c, struct resp_arg *key, long long by)
{
	struct sentry *e = store_find_write(server.store, c->db, key->ptr, key->len);
	long long v = 0;
	char buf[24];
	size_t n;

	if (e && e->type != STORE_STRING) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	if (e && resp_parse_ll(sentry_value(e), e->vlen, &v) != 0) {
		reply_error(c, ERR_NOT_INT);
		return;
	}
	if ((by > 0 && v > LLONG_MAX - by) || (by < 0 && v < LLONG_MIN - by)) {
		reply_error(c, ERR_OVERFLOW);
		return;
	}
	v += by;
	n = resp_ll_to_str(buf, v);
	if (!store_put(server.store, c->db, key->ptr, key->len, buf, n, STORE_STRING,
		       e ? sentry_expire(e) : STORE_NO_EXPIRE)) {
		reply_error(c, ERR_OOM);
		return;
	}
	reply_int(c, v);
}

void cmd_incr(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	incr_generic(c, &argv[1], 1);
}

void cmd_decr(struct conn *c, int argc, struct resp_arg *argv)
{
	(void)argc;
	incr_generic(c, &argv[1], -1);
}

void cmd_incrby(struct conn *c, int argc, struct resp_arg *argv)
{
	long long by;

	(void)argc;
	if (arg_ll(c, &argv[2], &by) == 0)
		incr_generic(c, &argv[1], by);
}

void cmd_decrby(struct conn *c, int argc, struct resp_arg *argv)
{
	long long by;

	(void)argc;
	if (arg_ll(c, &argv[2], &by) != 0)
		return;
	if (by == LLONG_MIN) {
		reply_error(c, "ERR decrement would overflow");
		return;
	}
	incr_generic(c, &argv[1], -by);
}

