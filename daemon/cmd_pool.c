/* cmd_pool.c - POOL.ACQUIRE, POOL.RELEASE, POOL.RENEW, POOL.SIZE, POOL.INFO.
 *
 * Argument parsing and replies only; slots live in pool.c, queues in
 * waitq.c, the acquire path shared with LOCK.ACQUIRE in cmd_grant.c.
 */
#include <sys/queue.h>

#include "acl.h"
#include "client.h"
#include "clock.h"
#include "cmd.h"
#include "cmd_args.h"
#include "cmd_grant.h"
#include "pool.h"
#include "reply.h"
#include "waitq.h"

/* The pool at key, purged of expired slots; replies WRONGTYPE (and returns
 * NULL with *bad set) when the key holds something else. */
static struct pool *pool_arg(struct conn *c, const struct resp_arg *key, bool *bad)
{
	bool other;
	struct pool *p = pool_find(c->db, key->ptr, key->len, &other);

	*bad = other;
	if (other)
		reply_error(c, ERR_WRONGTYPE);
	return p;
}

/* POOL.ACQUIRE key max-size [PX slot-ttl-ms] [WAIT timeout-ms] [DETACH] */
void cmd_pool_acquire(struct conn *c, int argc, struct resp_arg *argv)
{
	struct grant_req r = {.c = c, .kind = &pool_kind};
	int64_t wait_ms;
	struct pool *p;
	bool bad;

	if (arg_ll(c, &argv[2], &r.max) != 0)
		return;
	if (r.max < 1 || r.max > POOL_MAX_SIZE) {
		reply_errorf(c, "ERR max-size must be between 1 and %lld", POOL_MAX_SIZE);
		return;
	}
	if (cmd_grant_opts(c, argc, argv, 3, "pool.acquire", false, &r, &wait_ms) != 0)
		return;
	p = pool_arg(c, &argv[1], &bad);
	if (bad)
		return;
	if (cmd_grant_acquire(c, &r, &argv[1], wait_ms) == 1) {
		pool_stats_mut()->full++;
		reply_errorf(c, "FULL pool has %zu of %lld slots in use", p ? p->n : 0, r.max);
	}
}

/* The slot id names in the pool at key if c is of its holder's uid (or an
 * admin), or NULL after replying NOTOWNER. */
static struct slot *owned_slot(struct conn *c, const struct resp_arg *key,
			       const struct resp_arg *id)
{
	bool bad;
	struct pool *p = pool_arg(c, key, &bad);

	if (bad)
		return NULL;
	struct slot *s = p ? pool_slot(p, id->ptr, id->len) : NULL;

	if (s && acl_is_holder(c, s->h.uid))
		return s;
	pool_stats_mut()->notowner++;
	reply_error(c, "NOTOWNER no such slot (wrong id, released, expired, or another user's)");
	return NULL;
}

/* POOL.RELEASE key slot-id */
void cmd_pool_release(struct conn *c, int argc, struct resp_arg *argv)
{
	struct slot *s = owned_slot(c, &argv[1], &argv[2]);

	(void)argc;
	if (!s)
		return;
	pool_stats_mut()->releases++;
	pool_release_slot(s);
	reply_int(c, 1);
}

/* POOL.RENEW key slot-id PX ms */
void cmd_pool_renew(struct conn *c, int argc, struct resp_arg *argv)
{
	int64_t ms;
	struct slot *s;

	(void)argc;
	if (!arg_is(&argv[3], "px")) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (arg_ttl_ms(c, &argv[4], "pool.renew", &ms) != 0)
		return;
	if (!(s = owned_slot(c, &argv[1], &argv[2])))
		return;
	pool_renew_slot(s, clock_ms() + ms);
	reply_int(c, 1);
}

/* POOL.SIZE key -> live slots */
void cmd_pool_size(struct conn *c, int argc, struct resp_arg *argv)
{
	bool bad;
	struct pool *p = pool_arg(c, &argv[1], &bad);

	(void)argc;
	if (!bad)
		reply_int(c, p ? (long long)p->n : 0);
}

/* POOL.INFO key -> nil, or size max waiters slots; slots is an array of
 * field/value arrays (id fence client-id pid uid name held-ms ttl-ms session). */
void cmd_pool_info(struct conn *c, int argc, struct resp_arg *argv)
{
	bool bad;
	struct pool *p = pool_arg(c, &argv[1], &bad);
	const struct slot *s;

	(void)argc;
	if (bad)
		return;
	if (!p) {
		reply_nil(c);
		return;
	}
	reply_array(c, 8);
	reply_bulk_cstr(c, "size");
	reply_int(c, (long long)p->n);
	reply_bulk_cstr(c, "max");
	reply_int(c, p->max);
	reply_bulk_cstr(c, "waiters");
	reply_int(c, (long long)waitq_count(c->db, argv[1].ptr, argv[1].len));
	reply_bulk_cstr(c, "slots");
	reply_array(c, p->n);
	LIST_FOREACH(s, &p->slots, in_pool) {
		reply_array(c, 18);
		reply_bulk_cstr(c, "id");
		acl_reply_token(c, s->h.uid, s->id, GRANT_TOKEN_HEX);
		reply_bulk_cstr(c, "fence");
		reply_int(c, (long long)s->fence);
		grant_reply_holder(c, &s->h, s->expire);
		grant_reply_session(c, &s->h);
	}
}
