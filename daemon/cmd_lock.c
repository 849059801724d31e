/* cmd_lock.c - LOCK.ACQUIRE, LOCK.RELEASE, LOCK.RENEW, LOCK.INFO, LOCK.CHECK.
 *
 * Argument parsing and replies only: grants live in lock.c, queues in
 * waitq.c, the acquire path shared with POOL.ACQUIRE in cmd_grant.c.
 */
#include <string.h>

#include "acl.h"
#include "client.h"
#include "clock.h"
#include "cmd.h"
#include "cmd_args.h"
#include "cmd_grant.h"
#include "lock.h"
#include "reply.h"
#include "server.h"
#include "store.h"
#include "waitq.h"

#define ERR_NOTOWNER "NOTOWNER not the holder (wrong token, not held, expired, or another user's)"

/* LOCK.ACQUIRE key [PX ttl-ms] [WAIT timeout-ms] [TOKEN token] [DETACH] */
void cmd_lock_acquire(struct conn *c, int argc, struct resp_arg *argv)
{
	struct grant_req r = {.c = c, .kind = &lock_kind};
	int64_t wait_ms;

	if (cmd_grant_opts(c, argc, argv, 2, "lock.acquire", true, &r, &wait_ms) != 0)
		return;
	if (cmd_grant_acquire(c, &r, &argv[1], wait_ms) == 1)
		reply_error(c, "LOCKED the key is held");
}

/* The lock at key if token owns it and c is of its holder's uid (or an
 * admin), else NULL (after counting a NOTOWNER and replying it). */
static struct sentry *owned_lock(struct conn *c, const struct resp_arg *key,
				 const struct resp_arg *token)
{
	struct sentry *e = store_find_write(server.store, c->db, key->ptr, key->len);
	struct lock *l;

	if (e && e->type == STORE_LOCK) {
		l = lock_of(e);
		if (l->toklen == token->len && memcmp(l->token, token->ptr, token->len) == 0 &&
		    acl_is_holder(c, l->h.uid))
			return e;
	}
	lock_stats_mut()->notowner++;
	reply_error(c, ERR_NOTOWNER);
	return NULL;
}

/* LOCK.RELEASE key token */
void cmd_lock_release(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = owned_lock(c, &argv[1], &argv[2]);

	(void)argc;
	if (!e)
		return;
	lock_stats_mut()->releases++;
	store_delete_entry(server.store, c->db, e, STORE_DEL_RELEASED);
	reply_int(c, 1);
}

/* LOCK.RENEW key token PX ttl-ms */
void cmd_lock_renew(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e;
	int64_t ttl;

	(void)argc;
	if (!arg_is(&argv[3], "px")) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (arg_ttl_ms(c, &argv[4], "lock.renew", &ttl) != 0)
		return;
	if (!(e = owned_lock(c, &argv[1], &argv[2])))
		return;
	if (!store_set_expire(server.store, c->db, e, clock_ms() + ttl)) {
		reply_error(c, ERR_OOM);
		return;
	}
	/* Waiters time their wake-up by the TTL: re-arm for the new one. */
	waitq_wake(c->db, argv[1].ptr, argv[1].len);
	reply_int(c, 1);
}

/* LOCK.INFO key -> nil, or token fence client-id pid uid name held-ms
 * ttl-ms waiters session as field/value pairs (DESIGN.md's order). */
void cmd_lock_info(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = store_find_write(server.store, c->db, argv[1].ptr, argv[1].len);
	struct lock *l;

	(void)argc;
	if (!e) {
		reply_nil(c);
		return;
	}
	if (e->type != STORE_LOCK) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	l = lock_of(e);
	reply_array(c, 20);
	reply_bulk_cstr(c, "token");
	acl_reply_token(c, l->h.uid, l->token, l->toklen);
	reply_bulk_cstr(c, "fence");
	reply_int(c, (long long)l->fence);
	grant_reply_holder(c, &l->h, sentry_expire(e));
	reply_bulk_cstr(c, "waiters");
	reply_int(c, (long long)waitq_count(c->db, argv[1].ptr, argv[1].len));
	grant_reply_session(c, &l->h);
}

/* LOCK.CHECK key fence -> :1 if fence is the current holder's. */
void cmd_lock_check(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e = store_find_write(server.store, c->db, argv[1].ptr, argv[1].len);
	long long fence;

	(void)argc;
	if (arg_ll(c, &argv[2], &fence) != 0)
		return;
	reply_int(c, e && e->type == STORE_LOCK && lock_of(e)->fence == (uint64_t)fence);
}
