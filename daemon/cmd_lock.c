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

/* LOCK.ACQUIRE key [PX ttl-ms] [WAIT timeout-ms] [TOKEN token] [DETACH] [SHARED] */
void cmd_lock_acquire(struct conn *c, int argc, struct resp_arg *argv)
{
	struct grant_req r = {.c = c, .kind = &lock_kind};
	int64_t wait_ms;

	if (cmd_grant_opts(c, argc, argv, 2, "lock.acquire", true, &r, &wait_ms) != 0)
		return;
	if (cmd_grant_acquire(c, &r, &argv[1], wait_ms) == 1)
		reply_error(c, "LOCKED the key is held");
}

/* The live hold of the lock at key that token names if c is of its
 * holder's uid (or an admin), with *ep its entry; else NULL (after
 * counting a NOTOWNER and replying it). */
static struct lock_hold *owned_hold(struct conn *c, const struct resp_arg *key,
				    const struct resp_arg *token, struct sentry **ep)
{
	bool other;
	struct sentry *e = lock_find(c->db, key->ptr, key->len, &other);
	struct lock_hold *h = e ? lock_hold_by_token(e, token->ptr, token->len) : NULL;

	if (h && acl_is_holder(c, h->h.uid)) {
		*ep = e;
		return h;
	}
	lock_stats_mut()->notowner++;
	reply_error(c, ERR_NOTOWNER);
	return NULL;
}

/* LOCK.RELEASE key token */
void cmd_lock_release(struct conn *c, int argc, struct resp_arg *argv)
{
	struct sentry *e;
	struct lock_hold *h = owned_hold(c, &argv[1], &argv[2], &e);

	(void)argc;
	if (!h)
		return;
	lock_stats_mut()->releases++;
	lock_release_hold(c->db, e, h);
	reply_int(c, 1);
}

/* LOCK.RENEW key token PX ttl-ms */
void cmd_lock_renew(struct conn *c, int argc, struct resp_arg *argv)
{
	struct lock_hold *h;
	struct sentry *e;
	int64_t ttl;

	(void)argc;
	if (!arg_is(&argv[3], "px")) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (arg_ttl_ms(c, &argv[4], "lock.renew", &ttl) != 0)
		return;
	if (!(h = owned_hold(c, &argv[1], &argv[2], &e)))
		return;
	if (lock_renew_hold(c->db, e, h, clock_ms() + ttl) != 0) {
		reply_error(c, ERR_OOM);
		return;
	}
	reply_int(c, 1);
}

/* LOCK.INFO key -> nil, or token fence client-id pid uid name held-ms
 * ttl-ms waiters session mode readers as field/value pairs (DESIGN.md's
 * order, then the mode). The holder fields are a shared lock's oldest
 * reader's. */
void cmd_lock_info(struct conn *c, int argc, struct resp_arg *argv)
{
	bool other;
	struct sentry *e = lock_find(c->db, argv[1].ptr, argv[1].len, &other);
	struct lock_hold *h;
	bool shared;

	(void)argc;
	if (other) {
		reply_error(c, ERR_WRONGTYPE);
		return;
	}
	if (!e) {
		reply_nil(c);
		return;
	}
	h = lock_oldest(e);
	shared = lock_of(e)->shared;
	reply_array(c, 24);
	reply_bulk_cstr(c, "token");
	acl_reply_token(c, h->h.uid, h->token, h->toklen);
	reply_bulk_cstr(c, "fence");
	reply_int(c, (long long)h->fence);
	grant_reply_holder(c, &h->h, lock_hold_expire(e, h));
	reply_bulk_cstr(c, "waiters");
	reply_int(c, (long long)waitq_count(c->db, argv[1].ptr, argv[1].len));
	grant_reply_session(c, &h->h);
	reply_bulk_cstr(c, "mode");
	reply_bulk_cstr(c, shared ? "shared" : "exclusive");
	reply_bulk_cstr(c, "readers");
	reply_int(c, shared ? (long long)lock_live_holds(e) : 0);
}

/* LOCK.CHECK key fence -> :1 if fence is a current holder's (any reader's
 * of a shared lock). */
void cmd_lock_check(struct conn *c, int argc, struct resp_arg *argv)
{
	long long fence;
	bool other;
	struct sentry *e;
	const struct lock_hold *h;

	(void)argc;
	if (arg_ll(c, &argv[2], &fence) != 0)
		return;
	e = lock_find(c->db, argv[1].ptr, argv[1].len, &other);
	if (e) {
		TAILQ_FOREACH(h, &lock_of(e)->holds, in_lock) {
			if (h->fence == (uint64_t)fence) {
				reply_int(c, 1);
				return;
			}
		}
	}
	reply_int(c, 0);
}
