/* cmd_pool.c - POOL.ACQUIRE, POOL.RELEASE, POOL.RENEW, POOL.SIZE, POOL.INFO.
 *
 * Argument parsing and replies only; slots live in pool.c, queues in
 * waitq.c, the option parser in cmd_lock.c.
 */
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "conn.h"
#include "lock.h"
#include "server.h"
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
	struct waiter w = {.c = c, .kind = WAIT_POOL};
	int64_t wait_ms;
	struct pool *p;
	bool bad;

	if (arg_ll(c, &argv[2], &w.max) != 0)
		return;
	if (w.max < 1 || w.max > POOL_MAX_SIZE) {
		reply_error(c, "ERR max-size must be a positive integer");
		return;
	}
	if (grant_opts_parse(c, argc, argv, 3, "pool.acquire", false, &w, &wait_ms) != 0)
		return;
	p = pool_arg(c, &argv[1], &bad);
	if (bad)
		return;
	if ((!p || (long long)p->n < w.max) &&
	    !waitq_has_waiters(c->db, argv[1].ptr, argv[1].len)) {
		pool_grant(&w, c->db, argv[1].ptr, argv[1].len);
		return;
	}
	if (wait_ms < 0) {
		lock_stats_mut()->pool_full++;
		reply_errorf(c, "FULL pool has %zu of %lld slots in use", p ? p->n : 0, w.max);
		return;
	}
	grant_wait(c, &w, c->db, &argv[1], wait_ms);
}

/* The slot id names in the pool at key, or NULL after replying NOTOWNER. */
static struct slot *owned_slot(struct conn *c, const struct resp_arg *key,
			       const struct resp_arg *id)
{
	bool bad;
	struct pool *p = pool_arg(c, key, &bad);

	if (bad)
		return NULL;
	if (p && id->len == LOCK_TOKEN_HEX)
		for (struct slot *s = p->slots; s; s = s->next)
			if (memcmp(s->id, id->ptr, LOCK_TOKEN_HEX) == 0)
				return s;
	lock_stats_mut()->pool_notowner++;
	reply_error(c, "NOTOWNER no such slot (wrong id, released, or expired)");
	return NULL;
}

/* POOL.RELEASE key slot-id */
void cmd_pool_release(struct conn *c, int argc, struct resp_arg *argv)
{
	struct slot *s = owned_slot(c, &argv[1], &argv[2]);

	(void)argc;
	if (!s)
		return;
	lock_stats_mut()->pool_releases++;
	pool_release_slot(s);
	reply_int(c, 1);
}

/* POOL.RENEW key slot-id PX ms */
void cmd_pool_renew(struct conn *c, int argc, struct resp_arg *argv)
{
	long long ms;
	struct slot *s;

	(void)argc;
	if (!arg_is(&argv[3], "px")) {
		reply_error(c, ERR_SYNTAX);
		return;
	}
	if (arg_ll(c, &argv[4], &ms) != 0)
		return;
	if (ms <= 0 || ms > INT64_MAX / 4) {
		reply_error(c, "ERR invalid expire time in 'pool.renew' command");
		return;
	}
	if (!(s = owned_slot(c, &argv[1], &argv[2])))
		return;
	s->expire = clock_ms() + ms;
	pool_update_ttl(s->pool);
	/* A shorter TTL may move the earliest expiry the waiters' timer uses. */
	waitq_wake(c->db, argv[1].ptr, argv[1].len);
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
	for (struct slot *s = p->slots; s; s = s->next) {
		reply_array(c, 18);
		reply_bulk_cstr(c, "id");
		reply_bulk(c, s->id, LOCK_TOKEN_HEX);
		reply_bulk_cstr(c, "fence");
		reply_int(c, (long long)s->fence);
		reply_holder(c, &s->h, s->expire);
		reply_session(c, &s->h);
	}
}
