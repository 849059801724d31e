/* cmd_lock.c - LOCK.ACQUIRE, LOCK.RELEASE, LOCK.RENEW, LOCK.INFO, LOCK.CHECK.
 *
 * Argument parsing and replies only: grants live in lock.c, queues in
 * waitq.c. The option parser for PX/WAIT/TOKEN/DETACH is shared with
 * cmd_pool.c.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "conn.h"
#include "lock.h"
#include "server.h"
#include "store.h"
#include "waitq.h"

#define ERR_NOTOWNER "NOTOWNER not the holder (wrong token, not held, or expired)"

/* Reads a positive millisecond count for PX; replies and returns -1 if bad. */
static int arg_ttl_ms(struct conn *c, const struct resp_arg *a, const char *cmd, int64_t *out)
{
	long long v;

	if (arg_ll(c, a, &v) != 0)
		return -1;
	if (v <= 0 || v > INT64_MAX / 4) {
		reply_errorf(c, "ERR invalid expire time in '%s' command", cmd);
		return -1;
	}
	*out = v;
	return 0;
}

int grant_opts_parse(struct conn *c, int argc, struct resp_arg *argv, int first, const char *cmd,
		     bool allow_token, struct waiter *w, int64_t *wait_ms)
{
	*wait_ms = -1;
	w->ttl_ms = -1;
	for (int i = first; i < argc; i++) {
		const struct resp_arg *a = &argv[i];
		bool has_value = i + 1 < argc;

		if (arg_is(a, "detach")) {
			w->detach = true;
		} else if (arg_is(a, "px") && has_value) {
			if (arg_ttl_ms(c, &argv[++i], cmd, &w->ttl_ms) != 0)
				return -1;
		} else if (arg_is(a, "wait") && has_value) {
			long long v;

			if (arg_ll(c, &argv[++i], &v) != 0)
				return -1;
			if (v < 0 || v > INT64_MAX / 4) {
				reply_error(c, "ERR WAIT timeout must be 0 (forever) or a positive "
					       "number of milliseconds");
				return -1;
			}
			*wait_ms = v;
		} else if (allow_token && arg_is(a, "token") && has_value) {
			const struct resp_arg *t = &argv[++i];

			if (t->len == 0 || t->len > LOCK_TOKEN_MAX) {
				reply_errorf(c, "ERR TOKEN must be 1 to %d bytes", LOCK_TOKEN_MAX);
				return -1;
			}
			w->token = (char *)t->ptr;
			w->toklen = t->len;
		} else {
			reply_error(c, ERR_SYNTAX);
			return -1;
		}
	}
	return 0;
}

/* Queues w (copying its token, which still points into the request);
 * replies an error if that is impossible. */
int grant_wait(struct conn *c, struct waiter *w, int db, const struct resp_arg *key,
	       int64_t wait_ms)
{
	char *borrowed = w->token;

	if (borrowed) {
		if (!(w->token = malloc(w->toklen))) {
			reply_error(c, ERR_OOM);
			return -1;
		}
		memcpy(w->token, borrowed, w->toklen);
	}
	if (waitq_add(w, db, key->ptr, key->len, wait_ms) != 0) {
		free(w->token);
		reply_errorf(c, "ERR too many waiters on this key (lock-max-waiters %zu) or out of "
				"memory",
			     server.cfg.lock_max_waiters);
		return -1;
	}
	return 0;
}

/* LOCK.ACQUIRE key [PX ttl-ms] [WAIT timeout-ms] [TOKEN token] [DETACH] */
void cmd_lock_acquire(struct conn *c, int argc, struct resp_arg *argv)
{
	struct waiter w = {.c = c, .kind = WAIT_LOCK};
	int64_t wait_ms;

	if (grant_opts_parse(c, argc, argv, 2, "lock.acquire", true, &w, &wait_ms) != 0)
		return;
	/* Free and nobody queued first: grant now. A queue means a release is
	 * being handed to the head; newcomers go behind it (FIFO). */
	if (!store_find_write(server.store, c->db, argv[1].ptr, argv[1].len) &&
	    !waitq_has_waiters(c->db, argv[1].ptr, argv[1].len)) {
		lock_grant(&w, c->db, argv[1].ptr, argv[1].len);
		return;
	}
	if (wait_ms < 0) {
		reply_error(c, "LOCKED the key is held");
		return;
	}
	grant_wait(c, &w, c->db, &argv[1], wait_ms);
}

/* The lock at key if token owns it, else NULL (after counting a NOTOWNER
 * and replying it). */
static struct sentry *owned_lock(struct conn *c, const struct resp_arg *key,
				 const struct resp_arg *token)
{
	struct sentry *e = store_find_write(server.store, c->db, key->ptr, key->len);
	struct lock *l;

	if (e && e->type == STORE_LOCK) {
		l = lock_of(e);
		if (l->toklen == token->len && memcmp(l->token, token->ptr, token->len) == 0)
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

/* Replies the fields shared by LOCK.INFO and POOL.INFO slots. */
void reply_holder(struct conn *c, const struct holder *h, int64_t expire)
{
	int64_t now = clock_ms();

	reply_bulk_cstr(c, "client-id");
	reply_int(c, (long long)h->client_id);
	reply_bulk_cstr(c, "pid");
	reply_int(c, h->pid);
	reply_bulk_cstr(c, "uid");
	reply_int(c, (long long)h->uid);
	reply_bulk_cstr(c, "name");
	reply_bulk_cstr(c, h->name ? h->name : "");
	reply_bulk_cstr(c, "held-ms");
	reply_int(c, now - h->since_ms);
	reply_bulk_cstr(c, "ttl-ms");
	reply_int(c, expire == STORE_NO_EXPIRE ? -1 : (expire > now ? expire - now : 0));
}

void reply_session(struct conn *c, const struct holder *h)
{
	reply_bulk_cstr(c, "session");
	reply_int(c, h->owner != NULL);
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
	reply_bulk(c, l->token, l->toklen);
	reply_bulk_cstr(c, "fence");
	reply_int(c, (long long)l->fence);
	reply_holder(c, &l->h, sentry_expire(e));
	reply_bulk_cstr(c, "waiters");
	reply_int(c, (long long)waitq_count(c->db, argv[1].ptr, argv[1].len));
	reply_session(c, &l->h);
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
