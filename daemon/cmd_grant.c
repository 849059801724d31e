/* cmd_grant.c - the acquire path shared by LOCK.ACQUIRE and POOL.ACQUIRE. */
#include "cmd_grant.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd_args.h"
#include "multi.h"
#include "reply.h"
#include "server.h"
#include "waitq.h"

/* Largest WAIT in ms: as for TTLs, now + wait must not overflow. */
#define GRANT_WAIT_MAX (INT64_MAX / 4)

int cmd_grant_opts(struct conn *c, int argc, struct resp_arg *argv, int first, const char *cmd,
		   bool lock_opts, struct grant_req *r, int64_t *wait_ms)
{
	*wait_ms = -1;
	r->ttl_ms = -1;
	for (int i = first; i < argc; i++) {
		const struct resp_arg *a = &argv[i];
		bool has_value = i + 1 < argc;

		if (arg_is(a, "detach")) {
			r->detach = true;
		} else if (arg_is(a, "px") && has_value) {
			if (arg_ttl_ms(c, &argv[++i], cmd, &r->ttl_ms) != 0)
				return -1;
		} else if (arg_is(a, "wait") && has_value) {
			long long v;

			if (arg_ll(c, &argv[++i], &v) != 0)
				return -1;
			if (v < 0 || v > GRANT_WAIT_MAX) {
				reply_error(c, "ERR WAIT timeout must be 0 (forever) or a positive "
					       "number of milliseconds");
				return -1;
			}
			*wait_ms = v;
		} else if (lock_opts && arg_is(a, "shared")) {
			r->shared = true;
		} else if (lock_opts && arg_is(a, "token") && has_value) {
			const struct resp_arg *t = &argv[++i];

			if (t->len == 0 || t->len > GRANT_TOKEN_MAX) {
				reply_errorf(c, "ERR TOKEN must be 1 to %d bytes", GRANT_TOKEN_MAX);
				return -1;
			}
			r->token = (char *)t->ptr;
			r->toklen = t->len;
		} else {
			reply_error(c, ERR_SYNTAX);
			return -1;
		}
	}
	return 0;
}

/* Queues r (copying its token, which still points into the request);
 * replies an error if that is impossible. */
static void cmd_grant_wait(struct conn *c, struct grant_req *r, const struct resp_arg *key,
			   int64_t wait_ms)
{
	char *borrowed = r->token;

	if (borrowed) {
		if (!(r->token = malloc(r->toklen))) {
			reply_error(c, ERR_OOM);
			return;
		}
		memcpy(r->token, borrowed, r->toklen);
	}
	if (waitq_add(r, c->db, key->ptr, key->len, wait_ms) != 0) {
		free(r->token);
		reply_errorf(c, "ERR too many waiters on this key (lock-max-waiters %zu) or out of "
				"memory",
			     server.cfg.lock_max_waiters);
	}
}

int cmd_grant_acquire(struct conn *c, struct grant_req *r, const struct resp_arg *key,
		      int64_t wait_ms)
{
	/* Free and nobody queued first: grant now. A queue means a release is
	 * being handed to its head; newcomers go behind it (FIFO). */
	if (waitq_admits(r, c->db, key->ptr, key->len)) {
		r->kind->grant(r, c->db, key->ptr, key->len);
		return 0;
	}
	/* Inside EXEC nothing may block (the server would wait on a client
	 * that cannot be woken mid-transaction): answer as without WAIT, as
	 * Redis answers BLPOP in MULTI. */
	if (wait_ms < 0 || multi_in_exec(c))
		return 1;
	cmd_grant_wait(c, r, key, wait_ms);
	return 0;
}
